//! The report engine: portfolio data + live facts → reports. Pure: every
//! figure is computed here (and unit-tested); `render` only formats.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::data::{Kind, Portfolio, Severity};

/// Facts read at run time from the deployed stack and its tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Facts {
    /// Charters booked this month (from the ShipCaptainCrew table), when it exists.
    pub charters_this_month: Option<u32>,
    /// The deployed functions (from the stack's last release).
    pub functions: Vec<DeployedFunction>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeployedFunction {
    pub name: String,
    pub environment_keys: Vec<String>,
    /// "NONE" or "AWS_IAM" when it has a function URL.
    pub url_auth: Option<String>,
}

/// A rendered-ready report: a title and sections of lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// cfo, ceo, cto, cmo, accounting, rental, deliveries, billing.
    pub key: &'static str,
    pub title: String,
    pub period: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub heading: String,
    pub lines: Vec<String>,
}

fn section(heading: &str, lines: Vec<String>) -> Section {
    Section {
        heading: heading.to_string(),
        lines,
    }
}

/// Dollars, whole, with thousands separators: `$8,112`.
pub fn money(x: f64) -> String {
    let neg = x < 0.0;
    let n = x.abs().round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}${out}", if neg { "-" } else { "" })
}

// ---------------------------------------------------------------- CFO

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cfo {
    pub monthly_burn: f64,
    pub contribution_per_charter: f64,
    pub break_even_charters: u32,
    pub charters_this_month: u32,
    pub monthly_revenue: f64,
    /// Months of cash left at the current net burn; `None` when cash-flow positive.
    pub runway_months: Option<f64>,
    pub targets: Vec<(String, u32, f64)>,
    pub tiers: Vec<(Tier, String, f64, Option<f64>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Tier {
    ZeroCost,
    LowCost,
    RevenueProducing,
    DoNotDeploy,
}

impl Tier {
    fn label(self) -> &'static str {
        match self {
            Tier::ZeroCost => "Tier 0 - zero-cost",
            Tier::LowCost => "Tier 1 - low-cost wins",
            Tier::RevenueProducing => "Tier 2 - revenue-producing",
            Tier::DoNotDeploy => "Do not deploy",
        }
    }
}

pub fn cfo(p: &Portfolio, facts: &Facts) -> Cfo {
    let f = &p.finance;
    let monthly_burn: f64 = p.entities.iter().flat_map(|e| &e.costs).map(|c| c.monthly).sum();
    let contribution = f.charter_price - f.charter_variable_cost;
    let break_even = (monthly_burn / contribution).ceil() as u32;
    let charters = facts.charters_this_month.unwrap_or(f.charters_this_month);
    // Revenue counts charters at their price; their variable cost is part of the
    // burn only through the contribution, so net burn is burn minus contribution.
    let monthly_revenue = f.other_monthly_revenue + f64::from(charters) * f.charter_price;
    let net_burn = monthly_burn - f.other_monthly_revenue - f64::from(charters) * contribution;
    let runway_months = (net_burn > 0.0).then(|| f.cash_on_hand / net_burn);
    let targets = p
        .targets
        .iter()
        .map(|t| (t.month.clone(), t.charters, f64::from(t.charters) * f.charter_price))
        .collect();
    let mut tiers: Vec<(Tier, String, f64, Option<f64>)> = p
        .initiatives
        .iter()
        .map(|i| {
            let payback = (i.monthly_revenue > 0.0).then(|| i.cost / i.monthly_revenue);
            let tier = if i.cost == 0.0 {
                Tier::ZeroCost
            } else if i.cost <= f.low_cost_limit {
                Tier::LowCost
            } else if payback.is_some_and(|m| m <= f.max_payback_months) && i.cost <= f.cash_on_hand {
                Tier::RevenueProducing
            } else {
                Tier::DoNotDeploy
            };
            (tier, i.name.clone(), i.cost, payback)
        })
        .collect();
    tiers.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.total_cmp(&b.2)));
    Cfo {
        monthly_burn,
        contribution_per_charter: contribution,
        break_even_charters: break_even,
        charters_this_month: charters,
        monthly_revenue,
        runway_months,
        targets,
        tiers,
    }
}

fn cfo_report(p: &Portfolio, facts: &Facts, period: &str) -> Report {
    let c = cfo(p, facts);
    let runway = match c.runway_months {
        Some(m) => format!("{m:.1} months at the current net burn"),
        None => "cash-flow positive at the current bookings".into(),
    };
    let progress = format!(
        "{} of {} break-even charters booked this month ({})",
        c.charters_this_month,
        c.break_even_charters,
        if facts.charters_this_month.is_some() {
            "live from the crew table"
        } else {
            "from the data file"
        }
    );
    let mut tiers = Vec::new();
    for (tier, name, cost, payback) in &c.tiers {
        let pb = match payback {
            _ if *cost == 0.0 => "no outlay".to_string(),
            Some(m) => format!("payback {m:.1} months"),
            None => "no revenue".to_string(),
        };
        tiers.push(format!("{}: {name} ({}; {pb})", tier.label(), money(*cost)));
    }
    Report {
        key: "cfo",
        title: "CFO report: burn, break-even and capital deployment".into(),
        period: period.into(),
        sections: vec![
            section(
                "Burn and break-even",
                vec![
                    format!("Monthly burn: {}", money(c.monthly_burn)),
                    format!("Contribution per charter: {}", money(c.contribution_per_charter)),
                    format!("Break-even: {} charters per month", c.break_even_charters),
                    progress,
                    format!("Monthly revenue: {}", money(c.monthly_revenue)),
                    format!("Cash on hand: {}; runway: {runway}", money(p.finance.cash_on_hand)),
                ],
            ),
            section(
                "Monthly revenue targets",
                c.targets
                    .iter()
                    .map(|(m, n, r)| {
                        let vs = i64::from(*n) - i64::from(c.break_even_charters);
                        format!("{m}: {n} charters = {} ({vs:+} vs break-even)", money(*r))
                    })
                    .collect(),
            ),
            section("Capital deployment", tiers),
            section(
                "Rules",
                check_rules(p, &c)
                    .into_iter()
                    .map(|(text, met, why)| format!("{} {text}: {why}", if met { "MET" } else { "NOT MET" }))
                    .collect(),
            ),
        ],
    }
}

/// Each CFO rule with whether the figures meet it, and the figures that say so.
pub fn check_rules(p: &Portfolio, c: &Cfo) -> Vec<(String, bool, String)> {
    use crate::data::{Kind, RuleCheck};
    let spend = |category: &str| -> f64 {
        p.entities
            .iter()
            .flat_map(|e| &e.costs)
            .filter(|k| k.category == category)
            .map(|k| k.monthly)
            .sum()
    };
    p.rules
        .iter()
        .map(|r| {
            let (met, why) = match r.check {
                RuleCheck::OperationsWithinRevenue => {
                    let ops = spend("operations");
                    (
                        ops <= c.monthly_revenue,
                        format!(
                            "operations {} a month against revenue {}",
                            money(ops),
                            money(c.monthly_revenue)
                        ),
                    )
                }
                RuleCheck::InsurancePresent => {
                    let uninsured: Vec<&str> = p
                        .entities
                        .iter()
                        .filter(|e| e.kind == Kind::Charter && !e.costs.iter().any(|k| k.category == "insurance"))
                        .map(|e| e.name.as_str())
                        .collect();
                    if uninsured.is_empty() {
                        (true, "every charter business carries an insurance line".to_string())
                    } else {
                        (false, format!("no insurance line for {}", uninsured.join(", ")))
                    }
                }
                RuleCheck::PayrollCovered => {
                    let payroll = spend("payroll");
                    (
                        p.finance.cash_on_hand >= payroll,
                        format!(
                            "cash on hand {} against payroll {} a month",
                            money(p.finance.cash_on_hand),
                            money(payroll)
                        ),
                    )
                }
            };
            (r.text.clone(), met, why)
        })
        .collect()
}

// ---------------------------------------------------------------- CEO

/// Shortfalls the figures show, so no report contradicts another: the
/// booking pipeline from the charter count the CFO report reads (live from
/// the crew table when it exists), OTA listings from the OTA channels'
/// reach. (entity name, title, impact, urgency)
pub fn computed_shortfalls(p: &Portfolio, facts: &Facts) -> Vec<(String, String, u8, u8)> {
    let c = cfo(p, facts);
    let mut out = Vec::new();
    for e in &p.entities {
        if e.kind == crate::data::Kind::Charter {
            if c.charters_this_month == 0 {
                out.push((
                    e.name.clone(),
                    "Empty booking pipeline: no charters booked this month".into(),
                    5,
                    5,
                ));
            } else if c.charters_this_month < c.break_even_charters {
                out.push((
                    e.name.clone(),
                    format!(
                        "Booking pipeline below break-even: {} of {} charters this month",
                        c.charters_this_month, c.break_even_charters
                    ),
                    5,
                    5,
                ));
            }
        }
        let ota: Vec<&crate::data::Channel> = p
            .channels
            .iter()
            .filter(|ch| ch.entity == e.key && ch.kind.as_deref() == Some("ota"))
            .collect();
        if !ota.is_empty() && ota.iter().all(|ch| ch.reach == 0) {
            out.push((
                e.name.clone(),
                "Zero OTA listings (no reach on any OTA channel)".into(),
                4,
                4,
            ));
        }
    }
    out
}

fn shortfalls_ranked(p: &Portfolio, facts: &Facts) -> Vec<(u8, String)> {
    let mut all: Vec<(u8, String)> = p
        .entities
        .iter()
        .flat_map(|e| {
            e.shortfalls
                .iter()
                .map(move |s| (s.impact * s.urgency, format!("{}: {}", e.name, s.title)))
        })
        .chain(
            computed_shortfalls(p, facts)
                .into_iter()
                .map(|(name, title, impact, urgency)| (impact * urgency, format!("{name}: {title}"))),
        )
        .collect();
    all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    all
}

/// KPIs each entity should track but does not (the data file's
/// `expected_kpis` for its kind), by entity name.
pub fn missing_kpis(p: &Portfolio) -> Vec<(String, Vec<&str>)> {
    p.entities
        .iter()
        .map(|e| {
            let missing: Vec<&str> = p
                .expected_kpis
                .get(&e.kind)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(String::as_str)
                .filter(|k| !e.kpis.iter().any(|t| t.eq_ignore_ascii_case(k)))
                .collect();
            (e.name.clone(), missing)
        })
        .filter(|(_, m)| !m.is_empty())
        .collect()
}

/// The 30-day agenda: the worst shortfalls, the critical and high security
/// gaps, and the zero-cost revenue initiatives, in that order.
pub fn agenda(p: &Portfolio, facts: &Facts) -> Vec<String> {
    let mut out: Vec<String> = shortfalls_ranked(p, facts)
        .into_iter()
        .take(3)
        .map(|(_, t)| format!("Fix: {t}"))
        .collect();
    out.extend(
        security_gaps(p, facts)
            .into_iter()
            .filter(|(s, _)| *s <= Severity::High)
            .map(|(_, t)| format!("Secure: {t}")),
    );
    out.extend(
        cfo(p, facts)
            .tiers
            .into_iter()
            .filter(|t| t.0 == Tier::ZeroCost)
            .map(|t| format!("Launch: {}", t.1)),
    );
    out
}

fn ceo_report(p: &Portfolio, facts: &Facts, period: &str) -> Report {
    let inventory = p
        .entities
        .iter()
        .map(|e| format!("{} ({} asset(s)): {}", e.name, e.assets.len(), e.assets.join(", ")))
        .collect();
    let shortfalls = shortfalls_ranked(p, facts)
        .into_iter()
        .enumerate()
        .map(|(i, (score, t))| format!("{}. {t} (impact x urgency {score})", i + 1))
        .collect();
    let kpis = missing_kpis(p)
        .into_iter()
        .map(|(e, m)| format!("{e}: {}", m.join(", ")))
        .collect();
    let agenda = agenda(p, facts)
        .into_iter()
        .enumerate()
        .map(|(i, a)| format!("{}. {a}", i + 1))
        .collect();
    Report {
        key: "ceo",
        title: "CEO report: assets, shortfalls and the 30-day agenda".into(),
        period: period.into(),
        sections: vec![
            section("Asset inventory", inventory),
            section("Shortfalls, ranked by impact", shortfalls),
            section("KPIs to start tracking", kpis),
            section("30-day agenda", agenda),
        ],
    }
}

// ---------------------------------------------------------------- CTO

/// Environment variable names that look like they hold a secret.
pub fn secret_looking(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    !n.starts_with("BOSUN_")
        && [
            "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PRIVATE", "API_KEY", "APIKEY", "_KEY", "STRIPE", "JWT",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// Security gaps: declared in the data, and derived from the deployed stack.
pub fn security_gaps(p: &Portfolio, facts: &Facts) -> Vec<(Severity, String)> {
    let mut out: Vec<(Severity, String)> = p
        .entities
        .iter()
        .flat_map(|e| {
            e.security
                .iter()
                .map(move |s| (s.severity, format!("{}: {}", e.name, s.title)))
        })
        .collect();
    for f in &facts.functions {
        for k in f.environment_keys.iter().filter(|k| secret_looking(k)) {
            out.push((
                Severity::High,
                format!(
                    "{}: environment variable {k} looks like a secret (move it to SSM or Secrets Manager)",
                    f.name
                ),
            ));
        }
        if f.url_auth.as_deref() == Some("NONE") {
            out.push((
                Severity::Medium,
                format!(
                    "{}: public function URL (auth NONE); the app must authenticate every write",
                    f.name
                ),
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    out
}

fn cto_report(p: &Portfolio, facts: &Facts, period: &str) -> Report {
    let stacks = p
        .entities
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e.name,
                if e.stack.is_empty() { "not recorded" } else { &e.stack }
            )
        })
        .collect();
    let gaps = security_gaps(p, facts)
        .into_iter()
        .map(|(s, t)| format!("[{}] {t}", format!("{s:?}").to_ascii_uppercase()))
        .collect();
    let total: f64 = p.aws_costs.iter().map(|c| c.monthly).sum();
    let saving: f64 = p.aws_costs.iter().map(|c| c.saving).sum();
    let mut cost_lines: Vec<String> = p
        .aws_costs
        .iter()
        .map(|c| {
            if c.saving > 0.0 {
                format!(
                    "{}: {}/mo (save {}: {})",
                    c.service,
                    money(c.monthly),
                    money(c.saving),
                    c.how
                )
            } else {
                format!("{}: {}/mo", c.service, money(c.monthly))
            }
        })
        .collect();
    cost_lines.push(format!(
        "Total: {}/mo; achievable savings {}/mo ({:.0}%)",
        money(total),
        money(saving),
        if total > 0.0 { saving / total * 100.0 } else { 0.0 }
    ));
    Report {
        key: "cto",
        title: "CTO report: stacks, security gaps and AWS cost".into(),
        period: period.into(),
        sections: vec![
            section("Stacks", stacks),
            section("Security gaps", gaps),
            section("AWS cost estimate", cost_lines),
            section(
                "Engineering actions",
                p.engineering_actions
                    .iter()
                    .enumerate()
                    .map(|(i, a)| format!("{}. {a}", i + 1))
                    .collect(),
            ),
        ],
    }
}

// ---------------------------------------------------------------- CMO

/// Expected deals of a campaign as a [low, high] range, and its value:
/// whole deals (a booking happens or not; at least one once half a deal
/// is expected) times the value of one.
pub fn campaign_range(c: &crate::data::Campaign) -> ([f64; 2], [f64; 2]) {
    let deals = |i: usize| c.list_size as f64 * c.open_rate[i] * c.conversion_rate[i];
    let (low, high) = (deals(0), deals(1));
    let whole = |d: f64| d.round();
    ([low, high], [whole(low) * c.deal_value, whole(high) * c.deal_value])
}

fn cmo_report(p: &Portfolio, period: &str) -> Report {
    let names: BTreeMap<&str, &str> = p.entities.iter().map(|e| (e.key.as_str(), e.name.as_str())).collect();
    let channels = p
        .channels
        .iter()
        .map(|c| {
            let cpr = if c.reach > 0 && c.monthly_cost > 0.0 {
                format!(", {:.2} per contact", c.monthly_cost / c.reach as f64)
            } else {
                String::new()
            };
            format!(
                "{} ({}): reach {}, {}/mo, {}{cpr}",
                c.name,
                names.get(c.entity.as_str()).unwrap_or(&"?"),
                c.reach,
                money(c.monthly_cost),
                c.status
            )
        })
        .collect();
    let mut campaign = Vec::new();
    if let Some(c) = &p.campaign {
        let (deals, value) = campaign_range(c);
        campaign.push(format!("{}: {} contacts", c.name, c.list_size));
        campaign.push(format!(
            "Opens {:.0}-{:.0}%, conversion {:.2}-{:.2}%: {:.1} to {:.1} deals",
            c.open_rate[0] * 100.0,
            c.open_rate[1] * 100.0,
            c.conversion_rate[0] * 100.0,
            c.conversion_rate[1] * 100.0,
            deals[0],
            deals[1]
        ));
        campaign.push(format!("Expected value: {} to {}", money(value[0]), money(value[1])));
    }
    let milestones = p
        .milestones
        .iter()
        .filter(|m| m.track == "marketing")
        .map(|m| format!("Day {}: {}", m.at, m.title))
        .collect();
    Report {
        key: "cmo",
        title: "CMO report: channels, campaign value and milestones".into(),
        period: period.into(),
        sections: vec![
            section("Channel matrix", channels),
            section("Email campaign", campaign),
            section("30/60/90-day milestones", milestones),
        ],
    }
}

// ---------------------------------------------------------------- Accounting

/// The chart of accounts for the portfolio's entity kinds and cost categories.
pub fn chart_of_accounts(p: &Portfolio) -> Vec<(u32, String)> {
    let mut out = vec![
        (1000, "Cash".to_string()),
        (1100, "Accounts receivable".to_string()),
        (1500, "Vessels and equipment".to_string()),
        (2000, "Accounts payable".to_string()),
        (2100, "Customer deposits".to_string()),
        (3000, "Owners' equity".to_string()),
    ];
    let mut kinds: Vec<Kind> = p.entities.iter().map(|e| e.kind).collect();
    kinds.sort();
    kinds.dedup();
    for (i, k) in kinds.iter().enumerate() {
        out.push((4000 + 100 * i as u32, k.revenue_account().to_string()));
    }
    let mut categories: Vec<&str> = p
        .entities
        .iter()
        .flat_map(|e| e.costs.iter().map(|c| c.category.as_str()))
        .collect();
    categories.sort_unstable();
    categories.dedup();
    for (i, c) in categories.iter().enumerate() {
        let mut name = c.to_string();
        if let Some(first) = name.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        out.push((6000 + 100 * i as u32, format!("{name} expense")));
    }
    out
}

/// Whether the books are kept anywhere, from `finance.accounting_system`.
pub fn accounting_system_finding(p: &Portfolio) -> String {
    match p.finance.accounting_system.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() && !s.eq_ignore_ascii_case("none") => format!("Books are kept in {s}."),
        _ => "No accounting system at all: no general ledger, no invoices, no monthly close. \
              The roadmap below starts one."
            .into(),
    }
}

fn accounting_report(p: &Portfolio, period: &str) -> Report {
    let chart = chart_of_accounts(p)
        .into_iter()
        .map(|(n, name)| format!("{n} {name}"))
        .collect();
    let mut gaps = Vec::new();
    for e in &p.entities {
        if !e.invoicing {
            gaps.push(format!(
                "{}: no invoices issued; revenue has no documented cycle",
                e.name
            ));
        }
        if !e.revenue_tracking {
            gaps.push(format!(
                "{}: revenue not recorded as earned (recognise on service date)",
                e.name
            ));
        }
    }
    let mut by_category: BTreeMap<&str, f64> = BTreeMap::new();
    for c in p.entities.iter().flat_map(|e| &e.costs) {
        *by_category.entry(c.category.as_str()).or_default() += c.monthly;
    }
    let expenses = by_category
        .iter()
        .map(|(c, v)| format!("{c}: {}/mo", money(*v)))
        .collect();
    let roadmap = p
        .milestones
        .iter()
        .filter(|m| m.track == "accounting")
        .map(|m| format!("Month {}: {}", m.at, m.title))
        .collect();
    Report {
        key: "accounting",
        title: "Accounting report: chart of accounts and revenue recognition".into(),
        period: period.into(),
        sections: vec![
            section("Accounting system", vec![accounting_system_finding(p)]),
            section("Chart of accounts", chart),
            section("Revenue-recognition gaps", gaps),
            section("Expenses by category", expenses),
            section("Roadmap", roadmap),
        ],
    }
}

// ---------------------------------------------------------------- Portfolio batch

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RentalFigures {
    pub annual_income: f64,
    pub net_operating_income: f64,
    pub cap_rate: f64,
    pub monthly_cash_flow: f64,
}

pub fn rental(r: &crate::data::Rental) -> RentalFigures {
    let annual_income = r.monthly_rent * 12.0 * r.occupancy;
    let noi = annual_income - r.monthly_expenses * 12.0;
    RentalFigures {
        annual_income,
        net_operating_income: noi,
        cap_rate: noi / r.value,
        monthly_cash_flow: noi / 12.0 - r.monthly_mortgage,
    }
}

fn rental_report(p: &Portfolio, period: &str) -> Option<Report> {
    let r = p.assets.rental.as_ref()?;
    let f = rental(r);
    Some(Report {
        key: "rental",
        title: format!("Rental property: {}", r.name),
        period: period.into(),
        sections: vec![section(
            "Income",
            vec![
                format!(
                    "Rent {}/mo at {:.0}% occupancy: {}/yr",
                    money(r.monthly_rent),
                    r.occupancy * 100.0,
                    money(f.annual_income)
                ),
                format!("Net operating income: {}/yr", money(f.net_operating_income)),
                format!("Cap rate: {:.2}% on a value of {}", f.cap_rate * 100.0, money(r.value)),
                format!("Cash flow after the mortgage: {}/mo", money(f.monthly_cash_flow)),
            ],
        )],
    })
}

fn deliveries_report(p: &Portfolio, period: &str) -> Option<Report> {
    let d = &p.assets.deliveries;
    if d.is_empty() {
        return None;
    }
    let mut lines: Vec<String> = d
        .iter()
        .map(|x| {
            let margin = x.fee - x.cost;
            let flag = if margin < 0.0 { "  LOSS: reprice" } else { "" };
            format!(
                "{}: {} nm, fee {}, cost {}, margin {} ({}/nm){flag}",
                x.route,
                x.nautical_miles,
                money(x.fee),
                money(x.cost),
                money(margin),
                money(margin / x.nautical_miles)
            )
        })
        .collect();
    let fees: f64 = d.iter().map(|x| x.fee).sum();
    let margin: f64 = d.iter().map(|x| x.fee - x.cost).sum();
    lines.push(format!(
        "Total: fees {}, margin {} ({:.1}%)",
        money(fees),
        money(margin),
        margin / fees * 100.0
    ));
    Some(Report {
        key: "deliveries",
        title: "Yacht delivery: margins per route".into(),
        period: period.into(),
        sections: vec![section("Deliveries", lines)],
    })
}

fn billing_report(p: &Portfolio, period: &str) -> Option<Report> {
    let c = &p.assets.clients;
    if c.is_empty() {
        return None;
    }
    let mut lines = Vec::new();
    let mut leak = 0.0;
    for x in c {
        let due = x.hours * x.rate;
        let unbilled = due - x.billed;
        leak += unbilled.max(0.0);
        let status = if unbilled > 0.5 {
            format!("UNBILLED {}", money(unbilled))
        } else {
            "fully billed".into()
        };
        lines.push(format!(
            "{}: {} h x {} = {}, billed {}: {status}",
            x.account,
            x.hours,
            money(x.rate),
            money(due),
            money(x.billed)
        ));
    }
    lines.push(format!("Unbilled work in total: {}", money(leak)));
    Some(Report {
        key: "billing",
        title: "Client-portfolio billing audit".into(),
        period: period.into(),
        sections: vec![section("Clients", lines)],
    })
}

/// The report batches a schedule can ask for.
pub const BATCHES: &[&str] = &["csuite", "portfolio"];

/// Every report of a batch, in sending order.
pub fn reports(batch: &str, p: &Portfolio, facts: &Facts, period: &str) -> Option<Vec<Report>> {
    match batch {
        "csuite" => Some(vec![
            ceo_report(p, facts, period),
            cfo_report(p, facts, period),
            cto_report(p, facts, period),
            cmo_report(p, period),
            accounting_report(p, period),
        ]),
        "portfolio" => Some(
            [
                rental_report(p, period),
                deliveries_report(p, period),
                billing_report(p, period),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Portfolio {
        crate::data::parse("portfolio.toml", include_str!("../../../stacks/data/portfolio.toml")).unwrap()
    }

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(8112.0), "$8,112");
        assert_eq!(money(-600.4), "-$600");
        assert_eq!(money(1234567.5), "$1,234,568");
        assert_eq!(money(0.0), "$0");
    }

    /// Hand-checked: costs 1450+980+3200+900+62 + 18+12 + 600+850 + 40 = 8,112;
    /// contribution 1850-450 = 1,400; 8112/1400 = 5.79 → 6 charters.
    #[test]
    fn cfo_figures() {
        let c = cfo(&demo(), &Facts::default());
        assert_eq!(c.monthly_burn, 8112.0);
        assert_eq!(c.contribution_per_charter, 1400.0);
        assert_eq!(c.break_even_charters, 6);
        assert_eq!(c.charters_this_month, 2);
        assert_eq!(c.monthly_revenue, 1200.0 + 2.0 * 1850.0);
        // net burn 8112 - 1200 - 2*1400 = 4112; runway 38500/4112 = 9.36
        assert!((c.runway_months.unwrap() - 38500.0 / 4112.0).abs() < 1e-9);
        assert_eq!(c.targets[1], ("2026-12".to_string(), 6, 11100.0));
        let tiers: Vec<(Tier, &str)> = c.tiers.iter().map(|t| (t.0, t.1.as_str())).collect();
        assert_eq!(
            tiers,
            [
                (Tier::ZeroCost, "List the yacht on Sailo and GetMyBoat"),
                (Tier::ZeroCost, "Email the list about private charters"),
                (Tier::LowCost, "Business-profile and schema markup for local SEO"),
                (Tier::RevenueProducing, "Viator listing (needs COI upgrade)"),
                (Tier::DoNotDeploy, "Second charter vessel"),
            ]
        );
    }

    #[test]
    fn live_charters_replace_the_data_files_count() {
        let facts = Facts {
            charters_this_month: Some(7),
            ..Facts::default()
        };
        let c = cfo(&demo(), &facts);
        assert_eq!(c.charters_this_month, 7);
        // 8112 - 1200 - 7*1400 < 0: cash-flow positive.
        assert_eq!(c.runway_months, None);
    }

    #[test]
    fn cfo_rules_are_checked_against_the_figures() {
        let p = demo();
        let c = cfo(&p, &Facts::default());
        let rules = check_rules(&p, &c);
        assert_eq!(rules.len(), 3);
        assert!(rules.iter().all(|(_, met, _)| *met), "{rules:?}");
        // Each one false: payroll above cash, no insurance line, operations above revenue.
        let mut broke = demo();
        broke.finance.cash_on_hand = 100.0;
        for e in &mut broke.entities {
            e.costs.retain(|k| k.category != "insurance");
        }
        broke.entities[0].costs.push(crate::data::Cost {
            item: "Refit".into(),
            monthly: 50_000.0,
            category: "operations".into(),
        });
        let c = cfo(&broke, &Facts::default());
        let rules = check_rules(&broke, &c);
        assert!(rules.iter().all(|(_, met, _)| !*met), "{rules:?}");
        assert!(
            rules[1].2.contains("no insurance line for QueenofSanDiego"),
            "{rules:?}"
        );
    }

    #[test]
    fn shortfalls_the_figures_show_are_computed_not_typed() {
        let p = demo();
        let titles = |facts: &Facts, p: &Portfolio| -> Vec<String> {
            computed_shortfalls(p, facts).into_iter().map(|s| s.1).collect()
        };
        let live = |n: u32| Facts {
            charters_this_month: Some(n),
            ..Facts::default()
        };
        assert!(titles(&live(0), &p)
            .iter()
            .any(|t| t.starts_with("Empty booking pipeline")));
        assert!(titles(&live(3), &p)
            .iter()
            .any(|t| t == "Booking pipeline below break-even: 3 of 6 charters this month"));
        assert!(
            !titles(&live(6), &p).iter().any(|t| t.contains("pipeline")),
            "at break-even no pipeline shortfall"
        );
        assert!(titles(&live(6), &p).iter().any(|t| t.starts_with("Zero OTA listings")));
        let mut listed = demo();
        for ch in &mut listed.channels {
            if ch.kind.as_deref() == Some("ota") {
                ch.reach = 40;
            }
        }
        assert!(!titles(&live(6), &listed).iter().any(|t| t.starts_with("Zero OTA")));
    }

    #[test]
    fn the_missing_accounting_system_is_a_finding_from_the_data() {
        let mut p = demo();
        assert!(accounting_system_finding(&p).starts_with("No accounting system at all"));
        p.finance.accounting_system = Some("none".into());
        assert!(accounting_system_finding(&p).starts_with("No accounting system at all"));
        p.finance.accounting_system = Some("QuickBooks Online".into());
        assert_eq!(accounting_system_finding(&p), "Books are kept in QuickBooks Online.");
    }

    #[test]
    fn expected_kpis_come_from_the_data_file() {
        let mut p = demo();
        p.expected_kpis
            .insert(crate::data::Kind::Charter, vec!["charters booked per month".into()]);
        assert!(missing_kpis(&p).iter().all(|(name, _)| name != "QueenofSanDiego"));
        p.expected_kpis.remove(&crate::data::Kind::Charter);
        let problems = crate::data::check(&p);
        assert!(
            problems
                .iter()
                .any(|m| m.contains("expected_kpis has no list for kind `charter`")),
            "{problems:?}"
        );
    }

    #[test]
    fn ceo_missing_kpis_and_agenda() {
        let p = demo();
        let m = missing_kpis(&p);
        assert_eq!(m[0].0, "QueenofSanDiego");
        assert_eq!(m[0].1.len(), 4, "tracks 1 of the 5 charter KPIs");
        let a = agenda(&p, &Facts::default());
        assert_eq!(
            a[0],
            "Fix: QueenofSanDiego: Booking pipeline below break-even: 2 of 6 charters this month"
        );
        assert!(a.contains(&"Secure: QueenofSanDiego: Plaintext credentials file in git history".to_string()));
        assert_eq!(a.last().unwrap(), "Launch: Email the list about private charters");
    }

    #[test]
    fn cto_derives_gaps_from_the_deployed_stack() {
        let facts = Facts {
            charters_this_month: None,
            functions: vec![DeployedFunction {
                name: "qsd-shipcaptaincrew".into(),
                environment_keys: vec!["RUST_LOG".into(), "STRIPE_SECRET_KEY".into(), "BOSUN_TABLE_CREW".into()],
                url_auth: Some("NONE".into()),
            }],
        };
        let gaps = security_gaps(&demo(), &facts);
        let texts: Vec<&str> = gaps.iter().map(|g| g.1.as_str()).collect();
        assert!(texts
            .iter()
            .any(|t| t.contains("STRIPE_SECRET_KEY looks like a secret")));
        assert!(!texts
            .iter()
            .any(|t| t.contains("RUST_LOG") || t.contains("BOSUN_TABLE_CREW")));
        assert!(texts.iter().any(|t| t.contains("public function URL")));
        assert_eq!(gaps[0].0, Severity::Critical);
    }

    /// The seed's figure: the 3,676-person list is a $10K–50K concert
    /// booking opportunity. 3676 x 0.18 x 0.0015 = 0.99 -> 1 booking;
    /// 3676 x 0.28 x 0.0049 = 5.04 -> 5 bookings; at $10K a booking.
    #[test]
    fn campaign_expected_value_range() {
        let (deals, value) = campaign_range(demo().campaign.as_ref().unwrap());
        assert!((deals[0] - 0.992_52).abs() < 1e-6, "{deals:?}");
        assert!((deals[1] - 5.043_472).abs() < 1e-6, "{deals:?}");
        assert_eq!(money(value[0]), "$10,000");
        assert_eq!(money(value[1]), "$50,000");
    }

    /// A range of deal values times a range of deals would square the
    /// spread (the old model printed $13,234 to $514,640 for the same list).
    #[test]
    fn campaign_value_is_whole_deals_times_one_deal() {
        let mut c = demo().campaign.clone().unwrap();
        c.conversion_rate = [0.0, 0.0];
        assert_eq!(campaign_range(&c).1, [0.0, 0.0]);
        c.conversion_rate = [0.001, 0.001];
        let (deals, value) = campaign_range(&c);
        assert!(deals[0] < 1.0 && value[0] == 10_000.0, "{deals:?} {value:?}");
    }

    /// 3400 x 12 x 0.9 = 36,720; NOI 36,720 - 10,200 = 26,520; cap 4.14%; 2,210 - 1,900 = 310/mo.
    #[test]
    fn rental_figures() {
        let f = rental(demo().assets.rental.as_ref().unwrap());
        assert!((f.annual_income - 36720.0).abs() < 1e-9);
        assert!((f.net_operating_income - 26520.0).abs() < 1e-9);
        assert!((f.cap_rate - 0.0414375).abs() < 1e-9);
        assert!((f.monthly_cash_flow - 310.0).abs() < 1e-9);
    }

    #[test]
    fn chart_of_accounts_follows_kinds_and_categories() {
        let chart = chart_of_accounts(&demo());
        assert!(chart.contains(&(4000, "Charter revenue".into())));
        assert!(chart.contains(&(4300, "Booking fees".into())));
        assert!(chart.contains(&(6000, "Infrastructure expense".into())));
        assert_eq!(chart.len(), 6 + 4 + 5);
    }

    #[test]
    fn batches() {
        let p = demo();
        let c: Vec<&str> = reports("csuite", &p, &Facts::default(), "2026-W47")
            .unwrap()
            .iter()
            .map(|r| r.key)
            .collect();
        assert_eq!(c, ["ceo", "cfo", "cto", "cmo", "accounting"]);
        let pf: Vec<&str> = reports("portfolio", &p, &Facts::default(), "2026-11")
            .unwrap()
            .iter()
            .map(|r| r.key)
            .collect();
        assert_eq!(pf, ["rental", "deliveries", "billing"]);
        assert!(reports("nope", &p, &Facts::default(), "x").is_none());
    }
}
