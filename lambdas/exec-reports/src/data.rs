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
    /// Engineering actions, each with its impact and effort (1-5); the CTO
    /// report ranks them by impact x (6 - effort), not file order.
    #[serde(default)]
    pub engineering_actions: Vec<EngineeringAction>,
    /// Which parts of a development cycle are in place.
    #[serde(default)]
    pub dev_cycle: DevCycle,
    /// The OTA platforms in listing order (the CMO report's sequence).
    #[serde(default)]
    pub ota_sequence: Vec<OtaStep>,
    /// Figures per month (YYYY-MM): a report for period P uses P's and
    /// compares them with P-1's.
    #[serde(default)]
    pub months: Vec<Month>,
    /// The CFO's rules, each checked against the figures.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// The KPIs a business of each kind should track, by kind
    /// (`charter`, `static-site`, `services`, `creative`).
    #[serde(default)]
    pub expected_kpis: std::collections::BTreeMap<Kind, Vec<String>>,
    #[serde(default)]
    pub assets: PortfolioAssets,
    /// The month this is a view of (`in_month`); `None` for the file as read.
    #[serde(skip)]
    pub view_month: Option<String>,
    /// The file as read, behind a view (`in_month`): what a figure over
    /// several months (the trailing burn) reads.
    #[serde(skip)]
    pub whole: Option<std::sync::Arc<Portfolio>>,
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
    /// The crew app's event kinds that are charters (compared without
    /// case): the live count reads only these, so a whale watch or a day
    /// sail is not counted at the charter price.
    #[serde(default = "default_charter_kinds")]
    pub charter_kinds: Vec<String>,
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
    /// The certificate of insurance the OTA marketplaces ask for is in place.
    #[serde(default)]
    pub coi_in_place: bool,
}

/// An engineering action and how it ranks.
fn default_charter_kinds() -> Vec<String> {
    vec!["private charter".into()]
}

impl Finance {
    /// Whether a crew-app event of `kind` is a charter.
    pub fn is_charter(&self, kind: &str) -> bool {
        self.charter_kinds
            .iter()
            .any(|k| k.trim().eq_ignore_ascii_case(kind.trim()))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EngineeringAction {
    pub action: String,
    /// 1 (minor) ... 5 (large).
    pub impact: u8,
    /// 1 (an afternoon) ... 5 (a quarter).
    pub effort: u8,
}

impl EngineeringAction {
    /// Higher first: big impact for little effort.
    pub fn score(&self) -> u8 {
        self.impact * (6 - self.effort)
    }
}

/// The development cycle: what is in place. Automated rollback also counts
/// as in place when bosun's release history can restore an earlier release.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DevCycle {
    #[serde(default)]
    pub ci_cd: bool,
    #[serde(default)]
    pub staging: bool,
    #[serde(default)]
    pub automated_rollback: bool,
}

/// One OTA platform in the listing sequence.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OtaStep {
    pub platform: String,
    #[serde(default)]
    pub listed: bool,
    /// Lists only once the certificate of insurance is in place.
    #[serde(default)]
    pub needs_coi: bool,
}

/// The figures of one month. Absent figures keep the file's standing values.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Month {
    /// YYYY-MM.
    pub month: String,
    pub cash_on_hand: Option<f64>,
    /// Charters booked (the crew table's count wins when it exists).
    pub charters: Option<u32>,
    pub other_revenue: Option<f64>,
    /// Channel name -> reach this month.
    #[serde(default)]
    pub reach: std::collections::BTreeMap<String, u64>,
    /// Days the rental stood empty this month.
    pub rental_vacant_days: Option<u32>,
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
    /// User-experience shortfalls of its sites (the CTO report).
    #[serde(default)]
    pub ux: Vec<String>,
    /// It serves public web endpoints (a WAF belongs in front of them).
    #[serde(default)]
    pub public_endpoints: bool,
    /// A WAF protects those endpoints.
    #[serde(default)]
    pub waf: bool,
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
    /// The delivery fleet.
    #[serde(default)]
    pub vessels: Vec<Vessel>,
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
    /// YYYY-MM-DD the current lease ends; absent: no lease on file.
    pub lease_end: Option<String>,
    pub property_tax_annual: Option<f64>,
    /// YYYY-MM-DD the next property-tax instalment is due.
    pub property_tax_due: Option<String>,
    pub insurance_annual: Option<f64>,
    /// YYYY-MM-DD the insurance policy renews.
    pub insurance_renewal: Option<String>,
    #[serde(default)]
    pub repairs: Vec<Repair>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Repair {
    pub item: String,
    pub cost: f64,
    /// YYYY-MM-DD reported.
    pub reported: String,
    #[serde(default)]
    pub done: bool,
    /// YYYY-MM-DD it was done (a report for an earlier month still shows it
    /// open); without it a done repair counts as done the month reported.
    pub done_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Vessel {
    pub name: String,
    /// What one crew member costs per day at sea.
    pub crew_day_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub route: String,
    /// YYYY-MM it sailed (absent: counted in every month).
    pub month: Option<String>,
    /// The fleet vessel that sailed it.
    pub vessel: Option<String>,
    pub nautical_miles: f64,
    pub fee: f64,
    /// Fuel, dockage, travel: everything but crew.
    pub cost: f64,
    /// Days at sea.
    #[serde(default)]
    pub days: f64,
    /// Crew aboard.
    #[serde(default)]
    pub crew: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// A role or account name, never a person's name.
    pub account: String,
    /// The entity whose work it is (its billing gap is this audit's figure).
    pub entity: Option<String>,
    /// YYYY-MM of the work (absent: counted in every month).
    pub month: Option<String>,
    pub hours: f64,
    pub rate: f64,
    pub billed: f64,
}

/// The first day of month `YYYY-MM`, if it is one.
pub fn month_start(month: &str) -> Option<jiff::civil::Date> {
    if month.len() != 7 {
        return None;
    }
    jiff::civil::Date::strptime("%Y-%m-%d", format!("{month}-01")).ok()
}

/// The month before `YYYY-MM`.
pub fn previous_month(month: &str) -> Option<String> {
    let d = month_start(month)?.checked_sub(jiff::Span::new().months(1)).ok()?;
    Some(format!("{:04}-{:02}", d.year(), d.month()))
}

fn is_date(s: &str) -> bool {
    jiff::civil::Date::strptime("%Y-%m-%d", s).is_ok()
}

impl Portfolio {
    /// The portfolio as it stood in `month`: that month's `[[months]]`
    /// figures over the standing ones, and only the dated items of that
    /// month (deliveries) or of that month and earlier (client work, whose
    /// unbilled part carries forward until billed; repairs). The flag says
    /// whether the file has figures for the month at all.
    pub fn in_month(&self, month: &str) -> (Portfolio, bool) {
        let whole = self.whole.clone().unwrap_or_else(|| std::sync::Arc::new(self.clone()));
        if self.whole.is_some() {
            return whole.in_month(month);
        }
        let mut p = self.clone();
        p.view_month = Some(month.to_string());
        p.whole = Some(whole);
        let row = self.months.iter().find(|m| m.month == month);
        if let Some(m) = row {
            if let Some(c) = m.cash_on_hand {
                p.finance.cash_on_hand = c;
            }
            if let Some(c) = m.charters {
                p.finance.charters_this_month = c;
            }
            if let Some(r) = m.other_revenue {
                p.finance.other_monthly_revenue = r;
            }
            for ch in &mut p.channels {
                if let Some(r) = m.reach.get(&ch.name) {
                    ch.reach = *r;
                }
            }
            if let (Some(r), Some(days)) = (&mut p.assets.rental, m.rental_vacant_days) {
                let in_month = month_start(month).map(|d| f64::from(d.days_in_month())).unwrap_or(30.0);
                r.occupancy = (1.0 - f64::from(days) / in_month).clamp(0.0, 1.0);
            }
        }
        let of_month = |m: &Option<String>| m.as_deref().is_none_or(|m| m == month);
        p.assets.deliveries.retain(|d| of_month(&d.month));
        p.assets
            .clients
            .retain(|c| c.month.as_deref().is_none_or(|m| m <= month));
        if let Some(r) = &mut p.assets.rental {
            // Repairs reported by the month's end: open ones stay on the list
            // until the month they were done, which shows them done.
            r.repairs.retain_mut(|x| {
                let Some(reported) = x.reported.get(..7).filter(|m| *m <= month) else {
                    return false;
                };
                let done_in = match (&x.done_on, x.done) {
                    (Some(d), _) => d.get(..7).map(str::to_string),
                    (None, true) => Some(reported.to_string()),
                    (None, false) => None,
                };
                match done_in {
                    None => true,
                    Some(d) if d.as_str() > month => {
                        x.done = false;
                        true
                    }
                    Some(d) => {
                        x.done = true;
                        d == month
                    }
                }
            });
        }
        (p, row.is_some())
    }
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
    // Compared in cents, as the books count them.
    if (f.charter_price * 100.0).round() <= (f.charter_variable_cost * 100.0).round() {
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
        for (key, v) in [
            ("lease_end", &r.lease_end),
            ("property_tax_due", &r.property_tax_due),
            ("insurance_renewal", &r.insurance_renewal),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !is_date(v)) {
                out.push(format!("assets.rental.{key} `{v}` is not YYYY-MM-DD"));
            }
        }
        for (i, x) in r.repairs.iter().enumerate() {
            if let Some(d) = x.done_on.as_deref() {
                if !is_date(d) {
                    out.push(format!("assets.rental.repairs[{i}].done_on `{d}` is not YYYY-MM-DD"));
                } else if d < x.reported.as_str() {
                    out.push(format!(
                        "assets.rental.repairs[{i}].done_on `{d}` is before it was reported"
                    ));
                }
            }
            if !is_date(&x.reported) {
                out.push(format!(
                    "assets.rental.repairs[{i}].reported `{}` is not YYYY-MM-DD",
                    x.reported
                ));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (i, m) in p.months.iter().enumerate() {
        if month_start(&m.month).is_none() {
            out.push(format!("months[{i}].month `{}` is not YYYY-MM", m.month));
        } else if !seen.insert(m.month.as_str()) {
            out.push(format!("months[{i}].month `{}` appears twice", m.month));
        }
        for name in m.reach.keys() {
            if !p.channels.iter().any(|c| &c.name == name) {
                out.push(format!("months[{i}].reach names `{name}`, which is not a channel name"));
            }
        }
        if let Some(d) = m.rental_vacant_days {
            if p.assets.rental.is_none() {
                out.push(format!(
                    "months[{i}].rental_vacant_days is set but there is no [assets.rental]"
                ));
            } else if d > 31 {
                out.push(format!(
                    "months[{i}].rental_vacant_days ({d}) is more days than a month has"
                ));
            }
        }
    }
    for (i, a) in p.engineering_actions.iter().enumerate() {
        if !(1..=5).contains(&a.impact) || !(1..=5).contains(&a.effort) {
            out.push(format!("engineering_actions[{i}]: impact and effort are 1-5"));
        }
    }
    for (i, d) in p.assets.deliveries.iter().enumerate() {
        if let Some(m) = d.month.as_deref().filter(|m| month_start(m).is_none()) {
            out.push(format!("assets.deliveries[{i}].month `{m}` is not YYYY-MM"));
        }
        if let Some(v) = &d.vessel {
            if !p.assets.vessels.iter().any(|x| &x.name == v) {
                out.push(format!(
                    "assets.deliveries[{i}].vessel `{v}` is not in [[assets.vessels]]"
                ));
            }
        } else if d.crew > 0 {
            out.push(format!(
                "assets.deliveries[{i}] has crew but no vessel (its crew cost comes from the vessel's crew_day_rate)"
            ));
        }
        if d.nautical_miles <= 0.0 || d.days < 0.0 {
            out.push(format!(
                "assets.deliveries[{i}]: nautical_miles must be above 0 and days not negative"
            ));
        }
    }
    control_characters(&serde_json::to_value(p).unwrap_or_default(), "", &mut out);
    for (i, c) in p.assets.clients.iter().enumerate() {
        if let Some(e) = c.entity.as_deref().filter(|e| !known(e)) {
            out.push(format!("assets.clients[{i}].entity `{e}` is not an entity key"));
        }
        if let Some(m) = c.month.as_deref().filter(|m| month_start(m).is_none()) {
            out.push(format!("assets.clients[{i}].month `{m}` is not YYYY-MM"));
        }
    }
    out
}

/// Every text value of the file (names, titles, items) with a line break
/// or another control character, by its key path: such a character would
/// reach a mail header (the subject names the company and the rental) or
/// split a report's line.
fn control_characters(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => {
            if let Some(c) = s.chars().find(|c| c.is_control()) {
                out.push(format!(
                    "{path}: a control character (U+{:04X}) in text; line breaks and control characters are not allowed",
                    u32::from(c)
                ));
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                control_characters(item, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                let at = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                control_characters(item, &at, out);
            }
        }
        _ => {}
    }
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

    /// A line break in any text of the file (here the company, which every
    /// subject names, and an entity's name) is refused by its key path.
    #[test]
    fn control_characters_in_text_are_refused_where_they_are() {
        let err = parse(
            "p.toml",
            "company = \"x\\r\\nBcc: attacker@example.com\"\n[finance]\ncash_on_hand = 1.0\ncharter_price = 100.0\n\
             charter_variable_cost = 20.0\n[[entities]]\nkey=\"a\"\nname=\"A\\tB\"\nkind=\"charter\"\n[expected_kpis]\ncharter = []\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("company: a control character (U+000D)"), "{text}");
        assert!(
            text.contains("entities[0].name: a control character (U+0009)"),
            "{text}"
        );
    }

    #[test]
    fn dated_and_linked_values_are_checked() {
        let mut p = parse("portfolio.toml", include_str!("../../../stacks/data/portfolio.toml")).unwrap();
        p.months.push(p.months[0].clone());
        p.months[1].month = "2026-13".into();
        p.months[2].reach.insert("Billboards".into(), 10);
        p.assets.deliveries[0].vessel = Some("Ghost ship".into());
        p.assets.clients[0].entity = Some("nobody".into());
        p.assets.rental.as_mut().unwrap().lease_end = Some("next spring".into());
        p.engineering_actions[0].effort = 9;
        let problems = check(&p);
        for want in [
            "months[4].month `2026-09` appears twice",
            "months[1].month `2026-13` is not YYYY-MM",
            "months[2].reach names `Billboards`, which is not a channel name",
            "assets.deliveries[0].vessel `Ghost ship` is not in [[assets.vessels]]",
            "assets.clients[0].entity `nobody` is not an entity key",
            "assets.rental.lease_end `next spring` is not YYYY-MM-DD",
            "engineering_actions[0]: impact and effort are 1-5",
        ] {
            assert!(problems.iter().any(|m| m == want), "{want} not in {problems:?}");
        }
    }

    #[test]
    fn a_month_overrides_the_standing_figures_and_filters_dated_items() {
        let p = parse("portfolio.toml", include_str!("../../../stacks/data/portfolio.toml")).unwrap();
        let (oct, has) = p.in_month("2026-10");
        assert!(has);
        assert_eq!(oct.finance.cash_on_hand, 44965.2);
        assert_eq!(oct.finance.charters_this_month, 1);
        assert_eq!(oct.channels[0].reach, 3550);
        assert!((oct.assets.rental.as_ref().unwrap().occupancy - (1.0 - 12.0 / 31.0)).abs() < 1e-9);
        assert!(oct
            .assets
            .deliveries
            .iter()
            .all(|d| d.month.as_deref() == Some("2026-10")));
        assert_eq!(oct.assets.clients.len(), 2);
        let (later, has) = p.in_month("2027-06");
        assert!(!has);
        assert_eq!(later.finance.cash_on_hand, p.finance.cash_on_hand);
        assert!(later.assets.deliveries.is_empty());
        assert_eq!(previous_month("2027-01").as_deref(), Some("2026-12"));
    }
}
