//! The portfolio data file: entities, their assets, costs, channels,
//! initiatives, risks and targets. TOML (or JSON), unknown keys refused,
//! then checked for meaning; every error names the file's key path.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Portfolio {
    pub company: String,
    pub finance: Finance,
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub campaign: Option<Campaign>,
    #[serde(default)]
    pub initiatives: Vec<Initiative>,
    #[serde(default)]
    pub targets: Vec<Target>,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    #[serde(default)]
    pub aws_costs: Vec<AwsCost>,
    #[serde(default)]
    pub engineering_actions: Vec<String>,
    /// The CFO's rules, each checked against the figures.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// The KPIs a business of each kind should track, by kind
    /// (`charter`, `static-site`, `services`, `creative`).
    #[serde(default)]
    pub expected_kpis: std::collections::BTreeMap<Kind, Vec<String>>,
    #[serde(default)]
    pub assets: PortfolioAssets,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Finance {
    pub cash_on_hand: f64,
    /// Revenue per month from everything but charters.
    #[serde(default)]
    pub other_monthly_revenue: f64,
    /// Charters booked this month when no live table says otherwise.
    #[serde(default)]
    pub charters_this_month: u32,
    pub charter_price: f64,
    pub charter_variable_cost: f64,
    /// Initiatives up to this cost count as low-cost wins.
    #[serde(default = "default_low_cost")]
    pub low_cost_limit: f64,
    /// Revenue-producing initiatives must pay back within this many months.
    #[serde(default = "default_payback")]
    pub max_payback_months: f64,
    /// The accounting system the books are kept in; absent or "none": none
    /// at all (the accounting report leads with that finding).
    #[serde(default)]
    pub accounting_system: Option<String>,
}

fn default_low_cost() -> f64 {
    500.0
}

fn default_payback() -> f64 {
    6.0
}

/// A CFO rule: its wording and the check that decides whether it is met.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub text: String,
    pub check: RuleCheck,
}

/// What a rule is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleCheck {
    /// Operations spending is within monthly revenue.
    OperationsWithinRevenue,
    /// Every entity with physical assets (charter) carries an insurance line.
    InsurancePresent,
    /// Cash on hand covers next month's payroll.
    PayrollCovered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Charter,
    StaticSite,
    Services,
    Creative,
}

impl Kind {
    /// The revenue account this kind books to.
    pub fn revenue_account(self) -> &'static str {
        match self {
            Kind::Charter => "Charter revenue",
            Kind::StaticSite => "Advertising and referral revenue",
            Kind::Services => "Service revenue",
            Kind::Creative => "Booking fees",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub key: String,
    pub name: String,
    pub kind: Kind,
    /// What it runs on, in a phrase.
    #[serde(default)]
    pub stack: String,
    #[serde(default)]
    pub assets: Vec<String>,
    /// KPIs tracked today.
    #[serde(default)]
    pub kpis: Vec<String>,
    #[serde(default)]
    pub costs: Vec<Cost>,
    #[serde(default)]
    pub shortfalls: Vec<Shortfall>,
    #[serde(default)]
    pub security: Vec<SecurityGap>,
    /// Invoices are issued for its revenue.
    #[serde(default)]
    pub invoicing: bool,
    /// Its revenue is recorded in the books as earned.
    #[serde(default)]
    pub revenue_tracking: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    pub item: String,
    pub monthly: f64,
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Shortfall {
    pub title: String,
    /// 1 (minor) … 5 (severe).
    pub impact: u8,
    /// 1 (can wait) … 5 (now).
    pub urgency: u8,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGap {
    pub title: String,
    pub severity: Severity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub name: String,
    /// What kind of channel (`ota` counts toward the OTA-listings shortfall).
    #[serde(default)]
    pub kind: Option<String>,
    pub entity: String,
    pub reach: u64,
    pub monthly_cost: f64,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub name: String,
    pub list_size: u64,
    /// Low and high open rate, as fractions.
    pub open_rate: [f64; 2],
    /// Low and high conversion of opens into deals, as fractions.
    pub conversion_rate: [f64; 2],
    /// The value of one deal (one concert booking). The campaign's range
    /// comes from how many deals the list yields, not from a range of
    /// values multiplied by a range of deals (which squares the spread).
    pub deal_value: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Initiative {
    pub name: String,
    pub entity: String,
    pub cost: f64,
    /// Expected added revenue per month once running.
    #[serde(default)]
    pub monthly_revenue: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// YYYY-MM.
    pub month: String,
    pub charters: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// "marketing" (days 30/60/90) or "accounting" (months 1-4).
    pub track: String,
    /// Day (marketing) or month number (accounting).
    pub at: u32,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AwsCost {
    pub service: String,
    pub monthly: f64,
    /// Achievable monthly saving.
    #[serde(default)]
    pub saving: f64,
    #[serde(default)]
    pub how: String,
}

/// The three assets of the portfolio batch.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioAssets {
    pub rental: Option<Rental>,
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
    #[serde(default)]
    pub clients: Vec<Client>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rental {
    pub name: String,
    pub value: f64,
    pub monthly_rent: f64,
    /// Fraction of the year let.
    pub occupancy: f64,
    pub monthly_expenses: f64,
    pub monthly_mortgage: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub route: String,
    pub nautical_miles: f64,
    pub fee: f64,
    pub cost: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// A role or account name, never a person's name.
    pub account: String,
    pub hours: f64,
    pub rate: f64,
    pub billed: f64,
}

/// A data file that cannot be used, and where.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {}", .problems.join("; "))]
    Invalid { file: String, problems: Vec<String> },
}

/// Parses and checks a data file (`.json` or TOML by name).
pub fn parse(file: &str, text: &str) -> Result<Portfolio, DataError> {
    let portfolio: Portfolio = if file.ends_with(".json") {
        serde_json::from_str(text).map_err(|e| DataError::Syntax {
            file: file.to_string(),
            message: e.to_string(),
        })?
    } else {
        toml::from_str(text).map_err(|e| DataError::Syntax {
            file: file.to_string(),
            message: e.to_string().trim().replace('\n', " "),
        })?
    };
    let problems = check(&portfolio);
    if problems.is_empty() {
        Ok(portfolio)
    } else {
        Err(DataError::Invalid {
            file: file.to_string(),
            problems,
        })
    }
}

pub fn check(p: &Portfolio) -> Vec<String> {
    let mut out = Vec::new();
    let mut keys = BTreeSet::new();
    let f = &p.finance;
    if f.charter_price <= f.charter_variable_cost {
        out.push(format!(
            "finance.charter_price ({}) must exceed finance.charter_variable_cost ({}): every charter would lose money",
            f.charter_price, f.charter_variable_cost
        ));
    }
    if f.cash_on_hand < 0.0 {
        out.push("finance.cash_on_hand must not be negative".into());
    }
    for (i, e) in p.entities.iter().enumerate() {
        if !keys.insert(e.key.as_str()) {
            out.push(format!("entities[{i}].key `{}` is used twice", e.key));
        }
        for (j, c) in e.costs.iter().enumerate() {
            if c.monthly.is_nan() || c.monthly < 0.0 {
                out.push(format!(
                    "entities[{i}].costs[{j}].monthly must be a non-negative amount"
                ));
            }
        }
        for (j, s) in e.shortfalls.iter().enumerate() {
            if !(1..=5).contains(&s.impact) || !(1..=5).contains(&s.urgency) {
                out.push(format!("entities[{i}].shortfalls[{j}]: impact and urgency are 1-5"));
            }
        }
    }
    for e in &p.entities {
        if !p.expected_kpis.contains_key(&e.kind) {
            let kind = serde_json::to_value(e.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            out.push(format!(
                "expected_kpis has no list for kind `{kind}` (entity `{}`): add [expected_kpis] {kind} = [...]",
                e.key
            ));
        }
    }
    let known = |k: &str| keys.contains(k);
    for (i, c) in p.channels.iter().enumerate() {
        if !known(&c.entity) {
            out.push(format!("channels[{i}].entity `{}` is not an entity key", c.entity));
        }
    }
    for (i, c) in p.initiatives.iter().enumerate() {
        if !known(&c.entity) {
            out.push(format!("initiatives[{i}].entity `{}` is not an entity key", c.entity));
        }
        if c.cost < 0.0 || c.monthly_revenue < 0.0 {
            out.push(format!(
                "initiatives[{i}]: cost and monthly_revenue must not be negative"
            ));
        }
    }
    for (i, t) in p.targets.iter().enumerate() {
        if jiff::civil::Date::strptime("%Y-%m-%d", format!("{}-01", t.month)).is_err() {
            out.push(format!("targets[{i}].month `{}` is not YYYY-MM", t.month));
        }
    }
    if let Some(c) = &p.campaign {
        for (name, [lo, hi]) in [("open_rate", c.open_rate), ("conversion_rate", c.conversion_rate)] {
            if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
                out.push(format!("campaign.{name} must be [low, high] fractions between 0 and 1"));
            }
        }
        if c.deal_value.is_nan() || c.deal_value <= 0.0 {
            out.push("campaign.deal_value must be the value of one deal, above 0".into());
        }
    }
    if let Some(r) = &p.assets.rental {
        if !(0.0..=1.0).contains(&r.occupancy) {
            out.push("assets.rental.occupancy is a fraction between 0 and 1".into());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_portfolio_is_valid() {
        let text = include_str!("../../../stacks/data/portfolio.toml");
        let p = parse("portfolio.toml", text).unwrap();
        assert_eq!(p.entities.len(), 4);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = parse(
            "p.toml",
            "company = \"x\"\n[finance]\ncash_on_hand = 1.0\ncharter_price = 100.0\ncharter_variable_cost = 20.0\nburn = 3\n[[entities]]\nkey=\"a\"\nname=\"A\"\nkind=\"charter\"\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("unknown field `burn`"), "{text}");
        assert!(text.contains("line 6"), "{text}");

        let err = parse(
            "p.toml",
            "company = \"x\"\n[finance]\ncash_on_hand = 1.0\ncharter_price = 10.0\ncharter_variable_cost = 20.0\n\
             [[entities]]\nkey=\"a\"\nname=\"A\"\nkind=\"charter\"\n[[channels]]\nname=\"c\"\nentity=\"zz\"\nreach=1\nmonthly_cost=0.0\nstatus=\"live\"\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("finance.charter_price (10) must exceed"), "{text}");
        assert!(text.contains("channels[0].entity `zz` is not an entity key"), "{text}");
    }
}
