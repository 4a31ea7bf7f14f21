//! The report engine: portfolio data + live facts → reports. Pure: every
//! figure is computed here (and unit-tested); `render` only formats.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::data::{Kind, Portfolio, Severity};
use crate::ledger::{delivery, rental, Books, DeliveryFigures};

/// Facts read at run time from the deployed stack and its tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Facts {
    /// Charters booked in the month reported on (from the ShipCaptainCrew
    /// table), when it exists. [`reports`] fills it from `live_charters`.
    pub charters_this_month: Option<u32>,
    /// Charters booked per month (YYYY-MM) from the crew table: the months
    /// a report reads (its own and the one before).
    pub live_charters: BTreeMap<String, u32>,
    /// The crew table is configured but holds no event yet: its count is
    /// "no data yet" (the data file's figure stands), not zero bookings.
    pub crew_table_empty: bool,
    /// The deployed functions (from the stack's last release).
    pub functions: Vec<DeployedFunction>,
    /// Releases in bosun's release history (two or more: `bosun rollback`
    /// can restore an earlier one).
    pub releases: usize,
}

impl Facts {
    /// These facts for one month: the crew table's count for that month.
    pub fn for_month(&self, month: &str) -> Facts {
        Facts {
            charters_this_month: self.live_charters.get(month).copied(),
            ..self.clone()
        }
    }
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
    /// Pictures of some of the figures (the HTML part shows them inline).
    pub charts: Vec<Chart>,
}

/// A grouped bar chart: one bar per series in each category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// Unique within a report; names the inline image (`cid:`).
    pub id: String,
    pub title: String,
    pub unit: Unit,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// How a figure reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    Money,
    Count,
    Percent,
    Months,
}

impl Unit {
    pub fn show(self, x: f64) -> String {
        match self {
            Unit::Money => money(x),
            Unit::Count if x.fract() == 0.0 => format!("{x:.0}"),
            Unit::Count => format!("{x:.1}"),
            Unit::Percent => format!("{:.0}%", x * 100.0),
            Unit::Months => format!("{x:.1} months"),
        }
    }
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
    let n = x.abs().round() as u64;
    let neg = x < 0.0 && n > 0;
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
    /// The entities' fixed costs for a month.
    pub monthly_burn: f64,
    pub contribution_per_charter: f64,
    /// Charters the month needs for its result (every stream counted) to
    /// reach zero.
    pub break_even_charters: u32,
    pub charters_this_month: u32,
    /// The month's revenue, every stream (the books').
    pub monthly_revenue: f64,
    /// The month's expenses, every entity's (the books').
    pub monthly_expenses: f64,
    /// The month's result: revenue less expenses (the books').
    pub net: f64,
    /// What the month loses (0 when it makes money).
    pub net_burn: f64,
    /// Cash at the month's start (the month before's cash on hand), when
    /// the file has it.
    pub cash_start: Option<f64>,
    /// Money in less money out from the month's entries.
    pub cash_flow: f64,
    /// The month's net burn averaged with the two months before (those the
    /// file has figures for): what the runway divides cash by.
    pub burn_3m_avg: f64,
    /// Months of cash left at the trailing 3-month average burn; `None`
    /// when that average is not a loss.
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
    let charters = facts.charters_this_month.unwrap_or(f.charters_this_month);
    let books = Books::of(p, charters);
    // What the charters must make up: every other line of the books.
    let shortfall = -books.net_without_charters().dollars();
    let break_even = if shortfall <= 0.0 {
        0
    } else {
        (shortfall / contribution).ceil() as u32
    };
    let net = books.net().dollars();
    let net_burn = (-net).max(0.0);
    let cash_start = p
        .view_month
        .as_deref()
        .and_then(crate::data::previous_month)
        .and_then(|m| {
            p.months
                .iter()
                .find(|row| row.month == m)
                .and_then(|row| row.cash_on_hand)
        });
    let burn_3m_avg = trailing_burn(p, facts, -net);
    let runway_months = (burn_3m_avg > 0.0).then(|| f.cash_on_hand / burn_3m_avg);
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
        monthly_revenue: books.revenue().dollars(),
        monthly_expenses: books.expenses().dollars(),
        net,
        net_burn,
        burn_3m_avg,
        cash_start,
        cash_flow: books.net_cash_flow().dollars(),
        runway_months,
        targets,
        tiers,
    }
}

fn cfo_report(p: &Portfolio, facts: &Facts, period: &str) -> Report {
    let c = cfo(p, facts);
    let runway = match c.runway_months {
        Some(m) => format!(
            "{m:.1} months at the 3-month average net burn of {}",
            money(c.burn_3m_avg)
        ),
        None => "none needed: the last 3 months average a profit".into(),
    };
    let source = match (facts.charters_this_month.is_some(), facts.crew_table_empty) {
        (true, _) => "live from the crew table",
        (false, true) => "from the data file: the crew table has no events yet",
        (false, false) => "from the data file",
    };
    let progress = match c.break_even_charters {
        0 => format!(
            "{} charters booked this month ({source}); the other streams cover the month without any",
            c.charters_this_month
        ),
        n => format!(
            "{} of {n} break-even charters booked this month ({source})",
            c.charters_this_month
        ),
    };
    let mut tiers = Vec::new();
    for (tier, name, cost, payback) in &c.tiers {
        let pb = match payback {
            _ if *cost == 0.0 => "no outlay".to_string(),
            Some(m) => format!("payback {m:.1} months"),
            None => "no revenue".to_string(),
        };
        tiers.push(format!("{}: {name} ({}; {pb})", tier.label(), money(*cost)));
    }
    let mut sections = Vec::new();
    let check = cash_check(p, &c);
    if !check.is_empty() {
        sections.push(section("Data check", check));
    }
    sections.extend(vec![
        section(
            "Burn and break-even",
            vec![
                format!("Monthly burn (fixed costs): {}", money(c.monthly_burn)),
                format!("Contribution per charter: {}", money(c.contribution_per_charter)),
                format!(
                    "Break-even: {} charters per month (every other stream counted)",
                    c.break_even_charters
                ),
                progress,
                format!("Monthly revenue, every stream: {}", money(c.monthly_revenue)),
                format!(
                    "Monthly expenses, every entity: {}; result {} (the accounting report's income statement)",
                    money(c.monthly_expenses),
                    money(c.net)
                ),
                format!("Cash on hand: {}; runway: {runway}", money(p.finance.cash_on_hand)),
                format!("Cash flow this month, from the entries: {}", money(c.cash_flow)),
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
    ]);
    Report {
        key: "cfo",
        title: "CFO report: burn, break-even and capital deployment".into(),
        period: period.into(),
        sections,
        charts: Vec::new(),
    }
}

/// Whether the month's cash on hand follows from the month before's and
/// the month's entries; when it does not, what is unexplained (a line for
/// the report's "Data check"), never a silent wrong figure.
pub fn cash_check(p: &Portfolio, c: &Cfo) -> Vec<String> {
    let Some(start) = c.cash_start else {
        return Vec::new();
    };
    let moved = crate::ledger::Cents::of(p.finance.cash_on_hand) - crate::ledger::Cents::of(start);
    let flow = crate::ledger::Cents::of(c.cash_flow);
    if moved == flow {
        return Vec::new();
    }
    vec![format!(
        "Cash on hand moved {} since the month before ({} to {}), but the month's entries give {}: {} is not in the \
         data file (an entry is missing, or cash_on_hand is wrong)",
        money(moved.dollars()),
        money(start),
        money(p.finance.cash_on_hand),
        money(flow.dollars()),
        money((moved - flow).dollars())
    )]
}

/// The net burn of the month `p` is a view of, averaged with the two
/// months before it that the file has figures for (a loss is positive, a
/// profit negative, so a good month offsets a bad one).
fn trailing_burn(p: &Portfolio, facts: &Facts, this_month: f64) -> f64 {
    let (Some(month), Some(whole)) = (p.view_month.as_deref(), p.whole.as_deref()) else {
        return this_month;
    };
    let mut burns = vec![this_month];
    let mut m = month.to_string();
    for _ in 0..2 {
        let Some(before) = crate::data::previous_month(&m) else {
            break;
        };
        let (view, has) = whole.in_month(&before);
        if !has {
            break;
        }
        let f = facts.for_month(&before);
        let charters = f.charters_this_month.unwrap_or(view.finance.charters_this_month);
        burns.push(-Books::of(&view, charters).net().dollars());
        m = before;
    }
    // To the cent, as every money figure.
    (burns.iter().sum::<f64>() / burns.len() as f64 * 100.0).round() / 100.0
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
                    // The certificate of insurance is one fact, read here and
                    // by the CMO's listing sequence (`finance.coi_in_place`).
                    match (uninsured.is_empty(), p.finance.coi_in_place) {
                        (true, true) => (
                            true,
                            "every charter business carries an insurance line, and the certificate of insurance is in place"
                                .to_string(),
                        ),
                        (true, false) => (
                            false,
                            "insurance lines are carried, but the certificate of insurance the OTA marketplaces ask for \
                             is not in place (the CMO's listing sequence waits for it)"
                                .to_string(),
                        ),
                        (false, _) => (false, format!("no insurance line for {}", uninsured.join(", "))),
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
        let gaps: Vec<f64> = receivables(p)
            .into_iter()
            .filter(|r| r.entity == Some(e.key.as_str()))
            .map(|r| r.unbilled)
            .filter(|gap| *gap > 0.5)
            .collect();
        if !gaps.is_empty() {
            out.push((
                e.name.clone(),
                format!(
                    "Billing gap: {} of work unbilled on {} client account(s) (billing audit)",
                    money(gaps.iter().sum()),
                    gaps.len()
                ),
                4,
                4,
            ));
        }
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

/// One item of the 30-day agenda: what, who owns it, by when, and what it
/// is worth in the books.
#[derive(Debug, Clone, PartialEq)]
pub struct AgendaItem {
    pub action: String,
    /// The role that owns it (CEO, CFO, CTO, CMO, Accounting).
    pub owner: &'static str,
    pub due: jiff::civil::Date,
    /// Its dollar effect, when the books give one ("$2,800 a month").
    pub effect: Option<String>,
}

impl std::fmt::Display for AgendaItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: owner {}, due {}", self.action, self.owner, self.due)?;
        if let Some(e) = &self.effect {
            write!(f, ", {e}")?;
        }
        Ok(())
    }
}

/// The day a report for `period` goes out: the first day after it.
pub fn send_date(period: &str) -> Option<jiff::civil::Date> {
    if let Some(start) = crate::data::month_start(period) {
        return start.last_of_month().tomorrow().ok();
    }
    let (y, w) = period.split_once("-W")?;
    jiff::civil::ISOWeekDate::new(y.parse().ok()?, w.parse().ok()?, jiff::civil::Weekday::Sunday)
        .ok()?
        .date()
        .tomorrow()
        .ok()
}

/// The 30-day agenda from the report's send date `sent`: the three worst
/// shortfalls (due in a week), the critical and high security gaps (two
/// weeks), the zero-cost revenue initiatives (30 days), each with its owner
/// and, where the books give one, its dollar effect.
pub fn agenda(p: &Portfolio, facts: &Facts, sent: jiff::civil::Date) -> Vec<AgendaItem> {
    let c = cfo(p, facts);
    let days = |n: i64| sent.checked_add(jiff::Span::new().days(n)).unwrap_or(sent);
    let per_month = |x: f64| Some(format!("worth {} a month", money(x)));
    let mut out: Vec<AgendaItem> = shortfalls_ranked(p, facts)
        .into_iter()
        .take(3)
        .map(|(_, t)| {
            let (owner, effect) = if t.contains("Booking pipeline") || t.contains("booking pipeline") {
                let missing = c.break_even_charters.saturating_sub(c.charters_this_month);
                ("CMO", per_month(f64::from(missing) * c.contribution_per_charter))
            } else if t.contains("Billing gap") {
                let unbilled: f64 = receivables(p).iter().map(|r| r.unbilled).sum();
                ("Accounting", Some(format!("{} to bill", money(unbilled))))
            } else if t.contains("OTA listings") {
                ("CMO", None)
            } else {
                ("CEO", None)
            };
            AgendaItem {
                action: format!("Fix: {t}"),
                owner,
                due: days(7),
                effect,
            }
        })
        .collect();
    out.extend(
        security_gaps(p, facts)
            .into_iter()
            .filter(|(s, _)| *s <= Severity::High)
            .map(|(_, t)| AgendaItem {
                action: format!("Secure: {t}"),
                owner: "CTO",
                due: days(14),
                effect: None,
            }),
    );
    out.extend(p.initiatives.iter().filter(|i| i.cost == 0.0).map(|i| AgendaItem {
        action: format!("Launch: {}", i.name),
        owner: "CMO",
        due: days(30),
        effect: (i.monthly_revenue > 0.0).then(|| format!("worth {} a month", money(i.monthly_revenue))),
    }));
    out
}

fn ceo_report(p: &Portfolio, facts: &Facts, period: &str) -> Report {
    let mut inventory: Vec<String> = p
        .entities
        .iter()
        .map(|e| format!("{} ({} asset(s)): {}", e.name, e.assets.len(), e.assets.join(", ")))
        .collect();
    // The portfolio's own assets, with the figures the portfolio reports show.
    if let Some(r) = &p.assets.rental {
        inventory.push(format!(
            "Rental property: {}, valued at {}, net operating income {}/yr",
            r.name,
            money(r.value),
            money(rental(r).net_operating_income)
        ));
    }
    for v in &p.assets.vessels {
        inventory.push(format!("Delivery vessel: {}", v.name));
    }
    let accounts = receivables(p);
    if !accounts.is_empty() {
        inventory.push(format!(
            "Client accounts: {} ({} unbilled, earlier months included)",
            accounts.iter().map(|a| a.account).collect::<Vec<_>>().join(", "),
            money(accounts.iter().map(|a| a.unbilled).sum())
        ));
    }
    let shortfalls = shortfalls_ranked(p, facts)
        .into_iter()
        .enumerate()
        .map(|(i, (score, t))| format!("{}. {t} (impact x urgency {score})", i + 1))
        .collect();
    let kpis = missing_kpis(p)
        .into_iter()
        .map(|(e, m)| format!("{e}: {}", m.join(", ")))
        .collect();
    let sent = send_date(period).unwrap_or_else(|| jiff::civil::date(1970, 1, 1));
    let agenda = agenda(p, facts, sent)
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
        charts: Vec::new(),
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
    // One recommendation, however many entities it covers: one web ACL
    // (rate-based and managed rules) can front every distribution.
    let unprotected: Vec<&str> = p
        .entities
        .iter()
        .filter(|e| e.public_endpoints && !e.waf)
        .map(|e| e.name.as_str())
        .collect();
    if !unprotected.is_empty() {
        out.push((
            Severity::High,
            format!(
                "{}: no WAF in front of the public endpoints (one web ACL with rate-based and managed rules covers {})",
                unprotected.join(", "),
                if unprotected.len() == 1 { "it" } else { "them all" }
            ),
        ));
    }
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

/// The development cycle's gaps, and what is in place. Automated rollback
/// counts as in place when bosun's release history holds an earlier
/// release to go back to, whatever the data file says.
pub fn dev_cycle(p: &Portfolio, facts: &Facts) -> Vec<(bool, String)> {
    let d = &p.dev_cycle;
    let rollback = if facts.releases >= 2 {
        (
            true,
            format!(
                "Automated rollback: in place (bosun's release history holds {} releases; `bosun rollback` restores any of them)",
                facts.releases
            ),
        )
    } else if d.automated_rollback {
        (true, "Automated rollback: in place".to_string())
    } else {
        (
            false,
            "Automated rollback: missing (no earlier release to go back to; deploy with bosun to keep a release history)"
                .to_string(),
        )
    };
    vec![
        if d.ci_cd {
            (true, "CI/CD: in place".to_string())
        } else {
            (
                false,
                "CI/CD: missing (deploys run by hand; run `bosun deploy all` from CI)".to_string(),
            )
        },
        if d.staging {
            (true, "Staging environment: in place".to_string())
        } else {
            (
                false,
                "Staging environment: missing (changes reach production untried)".to_string(),
            )
        },
        rollback,
    ]
}

/// The engineering actions, ranked by impact x (6 - effort): the most
/// impact for the least effort first; ties keep file order. An automated-
/// rollback action is marked done when the release history shows rollback.
pub fn ranked_actions(p: &Portfolio, facts: &Facts) -> Vec<String> {
    let mut actions: Vec<&crate::data::EngineeringAction> = p.engineering_actions.iter().collect();
    actions.sort_by_key(|a| std::cmp::Reverse(a.score()));
    let rollback_in_place = dev_cycle(p, facts)[2].0;
    actions
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let done = rollback_in_place && a.action.to_ascii_lowercase().contains("rollback");
            format!(
                "{}. {} (impact {}, effort {}, score {}){}",
                i + 1,
                a.action,
                a.impact,
                a.effort,
                a.score(),
                if done {
                    " - DONE: the release history shows rollback in place"
                } else {
                    ""
                }
            )
        })
        .collect()
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
    let ux = p
        .entities
        .iter()
        .flat_map(|e| e.ux.iter().map(move |u| format!("{}: {u}", e.name)))
        .collect();
    let cycle = dev_cycle(p, facts).into_iter().map(|(_, t)| t).collect();
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
            section("UX shortfalls", ux),
            section("Development cycle", cycle),
            section("AWS cost estimate", cost_lines),
            section(
                "Engineering actions, ranked by impact and effort",
                ranked_actions(p, facts),
            ),
        ],
        charts: Vec::new(),
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

/// The OTA listing sequence: each platform listed, next, or waiting for
/// the certificate of insurance.
pub fn ota_sequence(p: &Portfolio) -> Vec<String> {
    let mut next_given = false;
    p.ota_sequence
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let state = if s.listed {
                "listed".to_string()
            } else if s.needs_coi && !p.finance.coi_in_place {
                "waits for the certificate of insurance (not in place yet)".to_string()
            } else if !next_given {
                next_given = true;
                "NEXT: list now".to_string()
            } else {
                "after the step before".to_string()
            };
            format!("{}. {}: {state}", i + 1, s.platform)
        })
        .collect()
}

fn cmo_report(p: &Portfolio, prev: Option<(&str, &Portfolio)>, month: &str, period: &str) -> Report {
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
    let track = |t: &str, label: &str| -> Vec<String> {
        p.milestones
            .iter()
            .filter(|m| m.track == t)
            .map(|m| format!("{label} {}: {}", m.at, m.title))
            .collect()
    };
    let mut series = vec![Series {
        name: month.into(),
        values: p.channels.iter().map(|c| c.reach as f64).collect(),
    }];
    if let Some((prev_month, prev)) = prev {
        series.insert(
            0,
            Series {
                name: prev_month.into(),
                values: p
                    .channels
                    .iter()
                    .map(|c| {
                        prev.channels
                            .iter()
                            .find(|x| x.name == c.name)
                            .map_or(0.0, |x| x.reach as f64)
                    })
                    .collect(),
            },
        );
    }
    Report {
        key: "cmo",
        title: "CMO report: channels, campaign value and milestones".into(),
        period: period.into(),
        sections: vec![
            section("Channel matrix", channels),
            section("OTA sequence", ota_sequence(p)),
            section("Local SEO roadmap", track("local-seo", "Step")),
            section("Email campaign", campaign),
            section("30/60/90-day milestones", track("marketing", "Day")),
        ],
        charts: vec![Chart {
            id: "channel-reach".into(),
            title: "Reach by channel".into(),
            unit: Unit::Count,
            categories: p.channels.iter().map(|c| c.name.clone()).collect(),
            series,
        }],
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

fn accounting_report(p: &Portfolio, facts: &Facts, period: &str) -> Report {
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
    // The month's books: the same revenue, expenses and result the CFO
    // report reads.
    let books = Books::of(p, cfo(p, facts).charters_this_month);
    let mut by_category: BTreeMap<&str, f64> = BTreeMap::new();
    for l in books.lines.iter().filter(|l| l.amount.0 < 0) {
        *by_category.entry(l.account.as_str()).or_default() -= l.amount.dollars();
    }
    let expenses = by_category
        .iter()
        .map(|(c, v)| format!("{c}: {}/mo", money(*v)))
        .collect();
    let mut statement: Vec<String> = books
        .by_entity()
        .iter()
        .map(|e| {
            format!(
                "{}: revenue {}, expenses {}, result {}",
                e.entity,
                money(e.revenue.dollars()),
                money(e.expenses.dollars()),
                money(e.net.dollars())
            )
        })
        .collect();
    statement.push(format!(
        "Whole business: revenue {}, expenses {}, result {}",
        money(books.revenue().dollars()),
        money(books.expenses().dollars()),
        money(books.net().dollars())
    ));
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
            section("Income statement, this month", statement),
            section("Expenses by category", expenses),
            section("Roadmap", roadmap),
        ],
        charts: Vec::new(),
    }
}

// ---------------------------------------------------------------- Portfolio batch

/// How a dated obligation stands when the month's report goes out (the
/// first day after the month; the portfolio batch runs then): missing,
/// past, due within 60 days, or later.
fn obligation(what: &str, date: Option<&str>, amount: Option<f64>, month: &str, missing: &str) -> String {
    let Some(date) = date else {
        return format!("MISSING: {what}: {missing}");
    };
    let amount = amount.map(|a| format!(" ({}/yr)", money(a))).unwrap_or_default();
    let (Some(start), Ok(d)) = (
        crate::data::month_start(month),
        jiff::civil::Date::strptime("%Y-%m-%d", date),
    ) else {
        return format!("{what}: {date}{amount}");
    };
    let Some(sent) = start.last_of_month().tomorrow().ok() else {
        return format!("{what}: {date}{amount}");
    };
    let days = (d - sent).get_days();
    if d < sent {
        format!("PAST: {what}: {date}{amount}, before this report ({sent}): confirm it was dealt with")
    } else if days <= 60 {
        format!("DUE: {what}: {date}{amount}, within 60 days of this report ({sent})")
    } else {
        format!("{what}: {date}{amount}")
    }
}

fn rental_report(p: &Portfolio, month: &str, period: &str) -> Option<Report> {
    let r = p.assets.rental.as_ref()?;
    let f = rental(r);
    let days_in_month = crate::data::month_start(month).map_or(30.0, |d| f64::from(d.days_in_month()));
    let vacant = ((1.0 - r.occupancy) * days_in_month).round();
    let mut vacancy = vec![format!(
        "Occupancy {:.0}% ({vacant:.0} vacant day(s) of {days_in_month:.0})",
        r.occupancy * 100.0
    )];
    if r.occupancy < 0.9 {
        vacancy.push(format!(
            "FLAG: occupancy below 90% costs {} of rent this month; re-let faster",
            money(r.monthly_rent * (1.0 - r.occupancy))
        ));
    }
    let open: Vec<&crate::data::Repair> = r.repairs.iter().filter(|x| !x.done).collect();
    let mut repairs: Vec<String> = r
        .repairs
        .iter()
        .map(|x| {
            format!(
                "{}{}: {} (reported {})",
                if x.done { "done: " } else { "OPEN: " },
                x.item,
                money(x.cost),
                x.reported
            )
        })
        .collect();
    repairs.push(format!(
        "Open repairs: {} costing {}; maintenance budget {}/mo",
        open.len(),
        money(open.iter().map(|x| x.cost).sum()),
        money(r.monthly_expenses)
    ));
    let obligations = vec![
        obligation(
            "lease ends",
            r.lease_end.as_deref(),
            None,
            month,
            "no lease on file; put one in writing",
        ),
        obligation(
            "property tax due",
            r.property_tax_due.as_deref(),
            r.property_tax_annual,
            month,
            "property tax not recorded; add its amount and due date",
        ),
        obligation(
            "insurance renews",
            r.insurance_renewal.as_deref(),
            r.insurance_annual,
            month,
            "no landlord insurance recorded",
        ),
    ];
    Some(Report {
        key: "rental",
        title: format!("Rental property: {}", r.name),
        period: period.into(),
        sections: vec![
            section(
                "Income",
                vec![
                    format!(
                        "Rent {}/mo at {:.0}% occupancy: {}/yr",
                        money(r.monthly_rent),
                        r.occupancy * 100.0,
                        money(f.annual_income)
                    ),
                    format!(
                        "Operating costs: {}/yr (maintenance {}/mo, property tax {}, insurance {})",
                        money(f.annual_operating_costs),
                        money(r.monthly_expenses),
                        r.property_tax_annual
                            .map_or_else(|| "not recorded".to_string(), |x| format!("{}/yr", money(x))),
                        r.insurance_annual
                            .map_or_else(|| "not recorded".to_string(), |x| format!("{}/yr", money(x)))
                    ),
                    format!("Net operating income: {}/yr", money(f.net_operating_income)),
                    format!("Cap rate: {:.2}% on a value of {}", f.cap_rate * 100.0, money(r.value)),
                    format!("Cash flow after the mortgage: {}/mo", money(f.monthly_cash_flow)),
                ],
            ),
            section("Vacancy", vacancy),
            section("Maintenance and repairs", repairs),
            section("Lease, tax and insurance", obligations),
        ],
        charts: Vec::new(),
    })
}

/// Per vessel: deliveries, days at sea, utilisation of the month, crew cost.
pub fn fleet(p: &Portfolio, month: &str) -> Vec<(String, usize, f64, f64, f64)> {
    let days_in_month = crate::data::month_start(month).map_or(30.0, |d| f64::from(d.days_in_month()));
    p.assets
        .vessels
        .iter()
        .map(|v| {
            let ds: Vec<&crate::data::Delivery> = p
                .assets
                .deliveries
                .iter()
                .filter(|d| d.vessel.as_deref() == Some(v.name.as_str()))
                .collect();
            let days: f64 = ds.iter().map(|d| d.days).sum();
            let crew: f64 = ds.iter().map(|d| delivery(p, d).crew_cost).sum();
            (v.name.clone(), ds.len(), days, days / days_in_month, crew)
        })
        .collect()
}

fn deliveries_report(p: &Portfolio, month: &str, period: &str) -> Option<Report> {
    let d = &p.assets.deliveries;
    if d.is_empty() && p.assets.vessels.is_empty() {
        return None;
    }
    let figures: Vec<DeliveryFigures> = d.iter().map(|x| delivery(p, x)).collect();
    let mut lines: Vec<String> = d
        .iter()
        .zip(&figures)
        .map(|(x, f)| {
            let flag = if f.margin < 0.0 { "  LOSS: reprice" } else { "" };
            format!(
                "{}: {} nm, fee {}, cost {} + crew {}, margin {} ({}/nm){flag}",
                x.route,
                x.nautical_miles,
                money(x.fee),
                money(x.cost),
                money(f.crew_cost),
                money(f.margin),
                money(f.margin / x.nautical_miles)
            )
        })
        .collect();
    let fees: f64 = d.iter().map(|x| x.fee).sum();
    let margin: f64 = figures.iter().map(|f| f.margin).sum();
    if d.is_empty() {
        lines.push(format!("No deliveries in {month}"));
    } else {
        lines.push(format!(
            "Total: fees {}, margin {} ({:.1}%)",
            money(fees),
            money(margin),
            margin / fees * 100.0
        ));
    }
    let fleet = fleet(p, month)
        .into_iter()
        .map(|(name, n, days, util, crew)| {
            let flag = if util < 0.25 {
                "  IDLE: under a quarter of the month at sea"
            } else {
                ""
            };
            format!(
                "{name}: {n} deliver{}, {days:.0} day(s) at sea, utilisation {:.0}%, crew cost {}{flag}",
                if n == 1 { "y" } else { "ies" },
                util * 100.0,
                money(crew)
            )
        })
        .collect();
    Some(Report {
        key: "deliveries",
        title: "Yacht delivery: fleet, utilisation and margins per route".into(),
        period: period.into(),
        sections: vec![
            section("Fleet and utilisation", fleet),
            section("Margins per route", lines),
        ],
        charts: if d.is_empty() {
            Vec::new()
        } else {
            vec![Chart {
                id: "route-margin".into(),
                title: "Margin per route".into(),
                unit: Unit::Money,
                categories: d.iter().map(|x| x.route.clone()).collect(),
                series: vec![Series {
                    name: "margin".into(),
                    values: figures.iter().map(|f| f.margin).collect(),
                }],
            }]
        },
    })
}

/// One client account at the end of the month a portfolio is a view of:
/// this month's work and billing, and the work left unbilled before and
/// after it (unbilled work carries forward until it is billed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Receivable<'a> {
    pub account: &'a str,
    pub entity: Option<&'a str>,
    pub hours: f64,
    /// This month's work at its rate.
    pub work: f64,
    pub billed: f64,
    /// Unbilled work from earlier months, at the month's start.
    pub backlog_before: f64,
    /// This month's billing beyond this month's work: earlier work billed now.
    pub billed_from_backlog: f64,
    /// Unbilled work at the month's end, earlier months' included.
    pub unbilled: f64,
}

/// Every client account's receivable, in file order: rows of earlier
/// months make the backlog (billing beyond a month's work pays it down,
/// never below zero), rows of the month (or undated) are its work.
pub fn receivables(p: &Portfolio) -> Vec<Receivable<'_>> {
    let month = p.view_month.as_deref();
    let mut out: Vec<Receivable<'_>> = Vec::new();
    let mut rows: Vec<&crate::data::Client> = p.assets.clients.iter().collect();
    rows.sort_by(|a, b| a.month.cmp(&b.month));
    for c in rows {
        let i = match out.iter().position(|r| r.account == c.account) {
            Some(i) => i,
            None => {
                out.push(Receivable {
                    account: &c.account,
                    entity: c.entity.as_deref(),
                    hours: 0.0,
                    work: 0.0,
                    billed: 0.0,
                    backlog_before: 0.0,
                    billed_from_backlog: 0.0,
                    unbilled: 0.0,
                });
                out.len() - 1
            }
        };
        let r = &mut out[i];
        let due = c.hours * c.rate;
        match (c.month.as_deref(), month) {
            (Some(m), Some(now)) if m < now => r.backlog_before = (r.backlog_before + due - c.billed).max(0.0),
            _ => {
                r.hours += c.hours;
                r.work += due;
                r.billed += c.billed;
            }
        }
    }
    for r in &mut out {
        r.billed_from_backlog = (r.billed - r.work).clamp(0.0, r.backlog_before);
        r.unbilled = (r.backlog_before + r.work - r.billed).max(0.0);
    }
    let order = |account: &str| p.assets.clients.iter().position(|c| c.account == account);
    out.sort_by_key(|r| order(r.account));
    out
}

fn billing_report(p: &Portfolio, period: &str) -> Option<Report> {
    let c = &p.assets.clients;
    if c.is_empty() {
        return None;
    }
    let mut lines = Vec::new();
    let all = receivables(p);
    for r in &all {
        let status = match (r.unbilled > 0.5, r.backlog_before > 0.5) {
            (true, true) => format!(
                "UNBILLED {} ({} of it from earlier months)",
                money(r.unbilled),
                money(r.unbilled.min(r.backlog_before - r.billed_from_backlog))
            ),
            (true, false) => format!("UNBILLED {}", money(r.unbilled)),
            (false, _) => "fully billed".into(),
        };
        let backlog = if r.billed_from_backlog > 0.5 {
            format!(" (incl. {} of earlier work)", money(r.billed_from_backlog))
        } else {
            String::new()
        };
        lines.push(format!(
            "{}: {} h this month = {}, billed {}{backlog}: {status}",
            r.account,
            r.hours,
            money(r.work),
            money(r.billed)
        ));
    }
    lines.push(format!(
        "Unbilled work in total, earlier months included: {}",
        money(all.iter().map(|r| r.unbilled).sum())
    ));
    lines.push(format!(
        "Billed this month for earlier months' work: {}",
        money(all.iter().map(|r| r.billed_from_backlog).sum())
    ));
    Some(Report {
        key: "billing",
        title: "Client-portfolio billing audit".into(),
        period: period.into(),
        sections: vec![section("Clients", lines)],
        charts: Vec::new(),
    })
}

/// The month (YYYY-MM) a period falls in: a month is itself; an ISO week
/// (YYYY-Www) is the month of its Thursday (the day that decides its year).
pub fn month_of(period: &str) -> Option<String> {
    if crate::data::month_start(period).is_some() {
        return Some(period.to_string());
    }
    let (y, w) = period.split_once("-W")?;
    let d = jiff::civil::ISOWeekDate::new(y.parse().ok()?, w.parse().ok()?, jiff::civil::Weekday::Thursday)
        .ok()?
        .date();
    Some(format!("{:04}-{:02}", d.year(), d.month()))
}

/// The figures a report compares month on month: (label, value, unit);
/// `None` where the figure does not apply (runway while cash-flow positive).
pub fn figures(key: &str, p: &Portfolio, facts: &Facts, month: &str) -> Vec<(String, Option<f64>, Unit)> {
    let c = cfo(p, facts);
    let f = |label: &str, v: f64, u: Unit| (label.to_string(), Some(v), u);
    match key {
        "ceo" => vec![
            f("Charters booked", f64::from(c.charters_this_month), Unit::Count),
            f("Monthly revenue", c.monthly_revenue, Unit::Money),
            f("Cash on hand", p.finance.cash_on_hand, Unit::Money),
            f("Open shortfalls", shortfalls_ranked(p, facts).len() as f64, Unit::Count),
        ],
        "cfo" => vec![
            f("Charters booked", f64::from(c.charters_this_month), Unit::Count),
            f("Monthly revenue", c.monthly_revenue, Unit::Money),
            f("Monthly burn", c.monthly_burn, Unit::Money),
            f("Result", c.net, Unit::Money),
            f("Cash on hand", p.finance.cash_on_hand, Unit::Money),
            ("Runway".to_string(), c.runway_months, Unit::Months),
        ],
        "cto" => vec![
            f("Security gaps", security_gaps(p, facts).len() as f64, Unit::Count),
            f(
                "AWS cost per month",
                p.aws_costs.iter().map(|x| x.monthly).sum(),
                Unit::Money,
            ),
        ],
        "cmo" => {
            let mut out = vec![f(
                "Total reach",
                p.channels.iter().map(|x| x.reach as f64).sum(),
                Unit::Count,
            )];
            out.extend(
                p.channels
                    .iter()
                    .map(|x| (format!("{} reach", x.name), Some(x.reach as f64), Unit::Count)),
            );
            out
        }
        "accounting" => vec![
            f("Monthly revenue", c.monthly_revenue, Unit::Money),
            f("Monthly expenses", c.monthly_expenses, Unit::Money),
            f("Result", c.net, Unit::Money),
        ],
        "rental" => match &p.assets.rental {
            Some(r) => vec![
                f("Occupancy", r.occupancy, Unit::Percent),
                f("Cash flow after the mortgage", rental(r).monthly_cash_flow, Unit::Money),
                f(
                    "Open repairs",
                    r.repairs.iter().filter(|x| !x.done).count() as f64,
                    Unit::Count,
                ),
            ],
            None => Vec::new(),
        },
        "deliveries" => {
            let d = &p.assets.deliveries;
            vec![
                f("Deliveries", d.len() as f64, Unit::Count),
                f("Days at sea", d.iter().map(|x| x.days).sum(), Unit::Count),
                f("Fees", d.iter().map(|x| x.fee).sum(), Unit::Money),
                f("Margin", d.iter().map(|x| delivery(p, x).margin).sum(), Unit::Money),
                f(
                    "Fleet utilisation",
                    {
                        let fl = fleet(p, month);
                        if fl.is_empty() {
                            0.0
                        } else {
                            fl.iter().map(|v| v.3).sum::<f64>() / fl.len() as f64
                        }
                    },
                    Unit::Percent,
                ),
            ]
        }
        "billing" => vec![
            f(
                "Hours worked",
                receivables(p).iter().map(|r| r.hours).sum(),
                Unit::Count,
            ),
            f("Billed", receivables(p).iter().map(|r| r.billed).sum(), Unit::Money),
            f("Unbilled", receivables(p).iter().map(|r| r.unbilled).sum(), Unit::Money),
        ],
        _ => Vec::new(),
    }
}

/// Every figure the reports print for `period`, by a stable dotted name
/// (the crate README lists them): dollars as numbers, ratios as
/// fractions. The consolidated figures come from the month's books, once.
pub fn key_figures(p: &Portfolio, facts: &Facts, period: &str) -> BTreeMap<String, f64> {
    let month = month_of(period).unwrap_or_else(|| period.to_string());
    let (now, _) = p.in_month(&month);
    let facts = facts.for_month(&month);
    let c = cfo(&now, &facts);
    let books = Books::of(&now, c.charters_this_month);
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: f64| {
        out.insert(k.to_string(), v);
    };
    put("consolidated.revenue", books.revenue().dollars());
    put("consolidated.expenses", books.expenses().dollars());
    put("consolidated.net", books.net().dollars());
    put("cfo.net", c.net);
    put("accounting.net", books.net().dollars());
    if let Some(start) = c.cash_start {
        put("cash.start", start);
    }
    put("cash.end", now.finance.cash_on_hand);
    put("cash.net_flow", books.net_cash_flow().dollars());
    put("cfo.burn_3m_avg", c.burn_3m_avg);
    if let Some(r) = c.runway_months {
        put("cfo.runway_months", r);
    }
    put("cfo.break_even_charters", f64::from(c.break_even_charters));
    put("cfo.charters", f64::from(c.charters_this_month));
    if let Some(r) = &now.assets.rental {
        let f = rental(r);
        put("rental.value", r.value);
        put("rental.noi_annual", f.net_operating_income);
        put("rental.property_tax_annual", r.property_tax_annual.unwrap_or(0.0));
        put("rental.cap_rate", f.cap_rate);
        put("rental.cash_flow_monthly", f.monthly_cash_flow);
    }
    let receivables = receivables(&now);
    put("receivables.unbilled", receivables.iter().map(|r| r.unbilled).sum());
    put(
        "receivables.billed_from_backlog",
        receivables.iter().map(|r| r.billed_from_backlog).sum(),
    );
    for e in books.by_entity() {
        put(&format!("entities.{}.net", slug(&e.entity)), e.net.dollars());
    }
    for key in [
        "ceo",
        "cfo",
        "cto",
        "cmo",
        "accounting",
        "rental",
        "deliveries",
        "billing",
    ] {
        for (label, value, _) in figures(key, &now, &facts, &month) {
            if let Some(v) = value {
                put(&format!("{key}.{}", slug(&label)), v);
            }
        }
    }
    out
}

/// "Cash on hand" → "cash_on_hand".
fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// "Label: now, up X from before" for each figure.
pub fn compare(
    now: &[(String, Option<f64>, Unit)],
    before: &[(String, Option<f64>, Unit)],
    prev_month: &str,
) -> Vec<String> {
    now.iter()
        .map(|(label, v, unit)| {
            let show = |v: &Option<f64>| v.map_or_else(|| "n/a (cash-flow positive)".to_string(), |x| unit.show(x));
            let was = before.iter().find(|b| &b.0 == label).map(|b| b.1);
            let change = match (*v, was) {
                (Some(a), Some(Some(b))) if (a - b).abs() < 1e-9 => format!("unchanged from {prev_month}"),
                (Some(a), Some(Some(b))) => format!(
                    "{} {} from {} in {prev_month}",
                    if a > b { "up" } else { "down" },
                    if *unit == Unit::Percent {
                        format!("{:.0} points", (a - b).abs() * 100.0)
                    } else {
                        unit.show((a - b).abs())
                    },
                    unit.show(b)
                ),
                (_, Some(b)) => format!("was {} in {prev_month}", show(&b)),
                (_, None) => format!("not tracked in {prev_month}"),
            };
            format!("{label}: {}, {change}", show(v))
        })
        .collect()
}

/// The months to chart up to `month`: the file's months (at most the last
/// six) and `month` itself.
fn chart_months(p: &Portfolio, month: &str) -> Vec<String> {
    let mut ms: Vec<String> = p
        .months
        .iter()
        .map(|m| m.month.clone())
        .filter(|m| m.as_str() <= month)
        .collect();
    ms.push(month.to_string());
    ms.sort();
    ms.dedup();
    let skip = ms.len().saturating_sub(6);
    ms.split_off(skip)
}

/// The CFO's pictures: charter revenue against target and break-even, and
/// burn by month.
fn cfo_charts(p: &Portfolio, facts: &Facts, month: &str) -> Vec<Chart> {
    let months = chart_months(p, month);
    let per: Vec<Cfo> = months
        .iter()
        .map(|m| cfo(&p.in_month(m).0, &facts.for_month(m)))
        .collect();
    let price = p.finance.charter_price;
    let target = |m: &str| {
        p.targets
            .iter()
            .find(|t| t.month == m)
            .map_or(0.0, |t| f64::from(t.charters) * price)
    };
    let now = per.last().expect("chart_months includes the month");
    let runway = match now.runway_months {
        Some(r) => format!("runway {r:.1} months in {month}"),
        None => format!("cash-flow positive in {month}"),
    };
    vec![
        Chart {
            id: "revenue-vs-target".into(),
            title: "Charter revenue vs target by month".into(),
            unit: Unit::Money,
            categories: months.clone(),
            series: vec![
                Series {
                    name: "charter revenue".into(),
                    values: per.iter().map(|c| f64::from(c.charters_this_month) * price).collect(),
                },
                Series {
                    name: "target".into(),
                    values: months.iter().map(|m| target(m)).collect(),
                },
                Series {
                    name: "break-even".into(),
                    values: per.iter().map(|c| f64::from(c.break_even_charters) * price).collect(),
                },
            ],
        },
        Chart {
            id: "burn".into(),
            title: format!("Burn by month ({runway})"),
            unit: Unit::Money,
            categories: months,
            series: vec![
                Series {
                    name: "monthly burn".into(),
                    values: per.iter().map(|c| c.monthly_burn).collect(),
                },
                Series {
                    name: "net burn".into(),
                    values: per.iter().map(|c| c.net_burn).collect(),
                },
            ],
        },
    ]
}

/// The report batches a schedule can ask for.
pub const BATCHES: &[&str] = &["csuite", "portfolio"];

/// Every report of a batch for `period`, in sending order. Each uses the
/// figures of the period's month, says so when the file has none for it,
/// and ends with the change since the month before.
pub fn reports(batch: &str, p: &Portfolio, facts: &Facts, period: &str) -> Option<Vec<Report>> {
    if !BATCHES.contains(&batch) {
        return None;
    }
    let month = month_of(period).unwrap_or_else(|| period.to_string());
    let (now, has_now) = p.in_month(&month);
    let facts_now = facts.for_month(&month);
    let prev_month = crate::data::previous_month(&month);
    let prev = prev_month
        .as_deref()
        .map(|m| (m, p.in_month(m), facts.for_month(m)))
        .filter(|(_, (_, has), _)| *has);
    let mut out: Vec<Report> = match batch {
        "csuite" => vec![
            ceo_report(&now, &facts_now, period),
            cfo_report(&now, &facts_now, period),
            cto_report(&now, &facts_now, period),
            cmo_report(&now, prev.as_ref().map(|(m, (pp, _), _)| (*m, pp)), &month, period),
            accounting_report(&now, &facts_now, period),
        ],
        _ => [
            rental_report(&now, &month, period),
            deliveries_report(&now, &month, period),
            billing_report(&now, period),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    for r in &mut out {
        if r.key == "cfo" {
            r.charts = cfo_charts(p, facts, &month);
        }
        if !has_now {
            r.sections.insert(
                0,
                section(
                    "Data note",
                    vec![format!(
                        "No figures for {month} in the data file yet (add [[months]] month = \"{month}\"): \
                         this report shows the file's standing figures{}.",
                        if facts_now.charters_this_month.is_some() {
                            " and the crew table's live charter count"
                        } else {
                            ""
                        }
                    )],
                ),
            );
        }
        let now_figures = figures(r.key, &now, &facts_now, &month);
        let lines = match (&prev, &prev_month) {
            (Some((m, (pp, _), pf)), _) => compare(&now_figures, &figures(r.key, pp, pf, m), m),
            (None, Some(m)) => vec![format!("No figures for {m} in the data file: nothing to compare with.")],
            (None, None) => vec![format!("{period} is not a week (YYYY-Www) or a month (YYYY-MM).")],
        };
        let heading = match &prev_month {
            Some(m) => format!("Change since {m}"),
            None => "Change since the month before".to_string(),
        };
        r.sections.push(Section { heading, lines });
    }
    Some(out)
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

    /// Hand-checked, the file's standing figures (no dated rows): fixed
    /// costs 1450+980+3200+900+62 + 18+12 + 600+850 + 40 = 8,112;
    /// contribution 1850-450 = 1,400. Every stream counts: revenue is
    /// 2 x 1,850 and other 1,200 and rent 3,400 x 0.9, so 7,960; expenses
    /// are 8,112, the charters' variable 900 and the rental's operating
    /// costs 17,240 / 12 = 1,436.67, so 10,448.67; result -2,488.67. Without
    /// the charters the month is 5,288.67 short: / 1,400 = 3.78, 4 charters.
    #[test]
    fn cfo_figures() {
        let c = cfo(&demo(), &Facts::default());
        assert_eq!(c.monthly_burn, 8112.0);
        assert_eq!(c.contribution_per_charter, 1400.0);
        assert_eq!(c.break_even_charters, 4);
        assert_eq!(c.charters_this_month, 2);
        assert_eq!(c.monthly_revenue, 7960.0);
        assert_eq!(c.monthly_expenses, 10448.67);
        assert_eq!(c.net, -2488.67);
        // One month only (the file as read is no month's view): runway 38,500 / 2,488.67.
        assert!((c.runway_months.unwrap() - 38500.0 / 2488.67).abs() < 1e-9);
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
        // The COI rule and the CMO's listing sequence read one fact: the
        // certificate is not in place, so the rule is NOT MET, as the CMO
        // says (before, the CFO called it MET while the CMO waited for it).
        assert!(!rules[1].1, "{rules:?}");
        assert!(ota_sequence(&p)[2].contains("waits for the certificate of insurance"));
        assert!(rules[0].1 && rules[2].1, "{rules:?}");
        let mut covered = demo();
        covered.finance.coi_in_place = true;
        let rules = check_rules(&covered, &cfo(&covered, &Facts::default()));
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

    /// The CEO's inventory holds every asset: the entities', the rental, the
    /// delivery vessel and the client accounts.
    #[test]
    fn the_ceo_inventory_lists_every_asset() {
        let p = demo();
        let (dec, _) = p.in_month("2026-12");
        let r = ceo_report(&dec, &Facts::default(), "2026-12");
        let inventory = &r.sections[0].lines;
        assert!(inventory
            .iter()
            .any(|l| l.starts_with("Rental property: Harbor-view rental unit, valued at $640,000")));
        assert!(inventory
            .iter()
            .any(|l| l == "Delivery vessel: Delivery crew boat (owned)"));
        assert!(inventory
            .iter()
            .any(|l| l.starts_with("Client accounts: ") && l.ends_with("($3,450 unbilled, earlier months included)")));
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
            .any(|t| t == "Booking pipeline below break-even: 3 of 4 charters this month"));
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
        // Every item has an owner, a due date from the send date and, where
        // the books give one, its dollar effect (before: "Fix:" titles only).
        let sent = send_date("2026-W49").unwrap();
        assert_eq!(sent, jiff::civil::date(2026, 12, 7), "the Monday after the week");
        let a: Vec<String> = agenda(&p, &Facts::default(), sent)
            .iter()
            .map(|i| i.to_string())
            .collect();
        // Standing figures: 2 charters of 4 at break-even, 2 x 1,400 short a month.
        assert_eq!(
            a[0],
            "Fix: QueenofSanDiego: Booking pipeline below break-even: 2 of 4 charters this month: \
             owner CMO, due 2026-12-14, worth $2,800 a month"
        );
        assert!(a.contains(
            &"Secure: QueenofSanDiego: Plaintext credentials file in git history: owner CTO, due 2026-12-21"
                .to_string()
        ));
        assert_eq!(
            a.last().unwrap(),
            "Launch: Email the list about private charters: owner CMO, due 2027-01-06, worth $925 a month"
        );
        // The WAF is one recommendation, not one per entity.
        assert_eq!(a.iter().filter(|l| l.contains("WAF")).count(), 1, "{a:?}");
        assert_eq!(send_date("2026-12"), Some(jiff::civil::date(2027, 1, 1)));
    }

    #[test]
    fn cto_derives_gaps_from_the_deployed_stack() {
        let facts = Facts {
            functions: vec![DeployedFunction {
                name: "qsd-shipcaptaincrew".into(),
                environment_keys: vec!["RUST_LOG".into(), "STRIPE_SECRET_KEY".into(), "BOSUN_TABLE_CREW".into()],
                url_auth: Some("NONE".into()),
            }],
            ..Facts::default()
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

    /// NOI counts every cost of running the property but the mortgage:
    /// 3400 x 12 x 0.9 = 36,720 less maintenance 10,200 and property tax
    /// 7,040 = 19,480; cap 3.04%; 1,623.33 - 1,900 = -276.67/mo. Fully let:
    /// 40,800 - 17,240 = 23,560, cap 3.68%, 63.33/mo after the mortgage
    /// (before, tax was left out: 4.78% and 650/mo).
    #[test]
    fn rental_figures() {
        let mut r = demo().assets.rental.unwrap();
        let f = rental(&r);
        assert!((f.annual_income - 36720.0).abs() < 1e-9);
        assert!((f.annual_operating_costs - 17240.0).abs() < 1e-9);
        assert!((f.net_operating_income - 19480.0).abs() < 1e-9);
        assert!((f.cap_rate - 0.0304375).abs() < 1e-9);
        assert!((f.monthly_cash_flow - (19480.0 / 12.0 - 1900.0)).abs() < 1e-9);
        r.occupancy = 1.0;
        let f = rental(&r);
        assert!((f.net_operating_income - 23560.0).abs() < 1e-9);
        assert!((f.cap_rate - 0.0368125).abs() < 1e-9);
        assert_eq!(money(f.monthly_cash_flow), "$63");
        // Insurance is an operating cost too.
        r.insurance_annual = Some(1200.0);
        assert!((rental(&r).net_operating_income - 22360.0).abs() < 1e-9);
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

    /// A report for period P uses P's figures, compares with P-1, and says
    /// so when P has none.
    #[test]
    fn dated_figures_and_the_change_since_the_month_before() {
        let p = demo();
        assert_eq!(month_of("2026-W49").as_deref(), Some("2026-12"));
        assert_eq!(month_of("2026-W53").as_deref(), Some("2026-12"), "Thursday 2026-12-31");
        assert_eq!(month_of("2027-W01").as_deref(), Some("2027-01"));
        assert_eq!(month_of("2026-11").as_deref(), Some("2026-11"));
        assert_eq!(month_of("soon"), None);

        let cfo_of = |period: &str| reports("csuite", &p, &Facts::default(), period).unwrap().remove(1);
        let lines = |r: &Report, heading: &str| {
            r.sections
                .iter()
                .find(|s| s.heading.starts_with(heading))
                .unwrap_or_else(|| panic!("no {heading} in {r:?}"))
                .lines
                .clone()
        };
        let nov = cfo_of("2026-11");
        assert!(lines(&nov, "Burn and break-even")
            .contains(&"Cash on hand: $47,017; runway: none needed: the last 3 months average a profit".to_string()));
        assert_eq!(
            lines(&nov, "Change since 2026-10")[0],
            "Charters booked: 2, up 1 from 1 in 2026-10"
        );
        let dec = cfo_of("2026-W49");
        assert_eq!(
            lines(&dec, "Change since 2026-11")[4],
            "Cash on hand: $53,588, up $6,571 from $47,017 in 2026-11"
        );
        // Runway divides cash by the trailing 3-month average burn, not one
        // month's: without the deliveries and client work every month loses.
        let mut lean = p.clone();
        lean.assets.deliveries.clear();
        lean.assets.clients.clear();
        let burn = |m: &str| {
            let (v, _) = lean.in_month(m);
            -Books::of(&v, v.finance.charters_this_month).net().dollars()
        };
        let (dec_view, _) = lean.in_month("2026-12");
        let c = cfo(&dec_view, &Facts::default());
        let avg = ((burn("2026-10") + burn("2026-11") + burn("2026-12")) / 3.0 * 100.0).round() / 100.0;
        assert!((c.burn_3m_avg - avg).abs() < 1e-9, "{} vs {avg}", c.burn_3m_avg);
        assert!((c.runway_months.unwrap() - dec_view.finance.cash_on_hand / avg).abs() < 1e-9);
        assert!((c.burn_3m_avg - c.net_burn).abs() > 1.0, "not one month's burn");
        assert!(!dec.sections.iter().any(|s| s.heading == "Data note"));
        // Three consecutive months say three different things.
        let oct = cfo_of("2026-10");
        assert_ne!(lines(&oct, "Burn and break-even"), lines(&nov, "Burn and break-even"));
        assert_ne!(lines(&nov, "Burn and break-even"), lines(&dec, "Burn and break-even"));

        // A month the file has no figures for: a note, the standing figures,
        // and the comparison with the month before it.
        let jan = cfo_of("2027-01");
        assert_eq!(jan.sections[0].heading, "Data note");
        assert!(jan.sections[0].lines[0].starts_with("No figures for 2027-01 in the data file yet"));
        assert!(lines(&jan, "Change since 2026-12")[0].starts_with("Charters booked: 2, down 2 from 4"));
        let far = cfo_of("2030-05");
        assert_eq!(
            lines(&far, "Change since 2030-04"),
            ["No figures for 2030-04 in the data file: nothing to compare with."]
        );
    }

    #[test]
    fn live_charters_count_per_month_and_win_over_the_file() {
        let p = demo();
        let mut facts = Facts::default();
        facts.live_charters.insert("2026-12".into(), 7);
        facts.live_charters.insert("2026-11".into(), 5);
        let r = reports("csuite", &p, &facts, "2026-12").unwrap().remove(1);
        let change = &r.sections.last().unwrap().lines;
        assert_eq!(change[0], "Charters booked: 7, up 2 from 5 in 2026-11");
        assert!(r
            .sections
            .iter()
            .find(|s| s.heading == "Burn and break-even")
            .unwrap()
            .lines
            .iter()
            .any(|l| l.contains("live from the crew table")));
        // Every stream counted, both months make money: no runway to speak of.
        assert_eq!(
            change[5],
            "Runway: n/a (cash-flow positive), was n/a (cash-flow positive) in 2026-11"
        );
    }

    #[test]
    fn the_billing_gap_shortfall_is_the_billing_audits_figure() {
        let p = demo();
        let (nov, _) = p.in_month("2026-11");
        let gap = computed_shortfalls(&nov, &Facts::default())
            .into_iter()
            .find(|s| s.1.starts_with("Billing gap"))
            .unwrap();
        // Client A's October work, 40 x 95 = 3,800 billed 2,850, is still
        // unbilled (950); Client B 30 x 110 = 3,300 billed 2,200 (1,100);
        // Client C 12.5 x 80 = 1,000 billed 0.
        assert_eq!(gap.0, "DangerousCentaur");
        assert_eq!(
            gap.1,
            "Billing gap: $3,050 of work unbilled on 3 client account(s) (billing audit)"
        );
        let audit = reports("portfolio", &p, &Facts::default(), "2026-11").unwrap();
        let billing = audit.iter().find(|r| r.key == "billing").unwrap();
        assert!(billing.sections[0]
            .lines
            .contains(&"Unbilled work in total, earlier months included: $3,050".to_string()));
        // Everything billed: no shortfall.
        let mut paid = nov.clone();
        for c in &mut paid.assets.clients {
            c.billed = c.hours * c.rate;
        }
        assert!(!computed_shortfalls(&paid, &Facts::default())
            .iter()
            .any(|s| s.1.starts_with("Billing gap")));
    }

    /// Unbilled work carries forward until it is billed: in December about
    /// $3,450 is outstanding (A 950 from October, B 1,100 from November, C
    /// 1,000 from November and 400 of December's), not December's $400.
    /// Billing beyond a month's work pays the backlog down.
    #[test]
    fn unbilled_work_carries_forward_until_billed() {
        let p = demo();
        let (dec, _) = p.in_month("2026-12");
        let r = receivables(&dec);
        let unbilled: Vec<(&str, f64)> = r.iter().map(|x| (x.account, x.unbilled)).collect();
        assert_eq!(
            unbilled,
            [
                ("Client A (property manager)", 950.0),
                ("Client B (restaurant group)", 1100.0),
                ("Client C (nonprofit)", 1400.0)
            ]
        );
        assert_eq!(r.iter().map(|x| x.unbilled).sum::<f64>(), 3450.0);
        assert_eq!(r[2].work, 800.0);
        assert_eq!(r[2].backlog_before, 1000.0);
        // Client C pays December's work and 600 of the backlog.
        let mut paid = p.clone();
        let c = paid
            .assets
            .clients
            .iter_mut()
            .find(|c| c.account.starts_with("Client C") && c.month.as_deref() == Some("2026-12"))
            .unwrap();
        c.billed = 1400.0;
        let (dec, _) = paid.in_month("2026-12");
        let c = receivables(&dec).remove(2);
        assert_eq!((c.billed_from_backlog, c.unbilled), (600.0, 400.0));
        let audit = reports("portfolio", &paid, &Facts::default(), "2026-12").unwrap();
        let billing = audit.iter().find(|r| r.key == "billing").unwrap();
        assert!(billing.sections[0]
            .lines
            .contains(&"Billed this month for earlier months' work: $600".to_string()));
    }

    #[test]
    fn cto_dev_cycle_waf_and_ranked_actions() {
        let p = demo();
        let actions = ranked_actions(&p, &Facts::default());
        assert_eq!(actions.len(), 10);
        assert!(
            actions[0].starts_with("1. Move payment keys out of Lambda environment"),
            "{actions:?}"
        );
        // Score ties keep file order: the calendar (5 x 2) before the tier copy (2 x 5).
        assert!(actions[8].starts_with("9. Availability calendar"), "{actions:?}");
        let cycle = dev_cycle(&p, &Facts::default());
        assert!(cycle.iter().all(|(ok, _)| !ok));
        // Two releases in bosun's history: rollback is in place, and the action says so.
        let facts = Facts {
            releases: 3,
            ..Facts::default()
        };
        let cycle = dev_cycle(&p, &facts);
        assert!(cycle[2].0 && cycle[2].1.contains("holds 3 releases"), "{cycle:?}");
        assert!(ranked_actions(&p, &facts)
            .iter()
            .any(|a| a.contains("Automated rollback on failed deploys")
                && a.ends_with("DONE: the release history shows rollback in place")));
        let gaps = security_gaps(&p, &Facts::default());
        // One WAF recommendation covering every entity without one.
        let waf: Vec<&String> = gaps.iter().map(|g| &g.1).filter(|g| g.contains("WAF")).collect();
        assert_eq!(
            waf,
            [
                "QueenofSanDiego, JADA, QuickDumpNow: no WAF in front of the public endpoints \
              (one web ACL with rate-based and managed rules covers them all)"
            ]
        );
        let mut walled = demo();
        for e in &mut walled.entities {
            e.waf = true;
        }
        assert!(!security_gaps(&walled, &Facts::default())
            .iter()
            .any(|g| g.1.contains("WAF")));
    }

    #[test]
    fn ota_sequence_waits_for_the_certificate_of_insurance() {
        let mut p = demo();
        assert_eq!(
            ota_sequence(&p),
            [
                "1. Sailo: NEXT: list now",
                "2. GetMyBoat: after the step before",
                "3. Viator / GetYourGuide: waits for the certificate of insurance (not in place yet)"
            ]
        );
        p.ota_sequence[0].listed = true;
        p.ota_sequence[1].listed = true;
        p.finance.coi_in_place = true;
        assert_eq!(ota_sequence(&p)[2], "3. Viator / GetYourGuide: NEXT: list now");
    }

    #[test]
    fn rental_audit_flags_due_and_missing() {
        let p = demo();
        let r = reports("portfolio", &p, &Facts::default(), "2026-12")
            .unwrap()
            .remove(0);
        let all: Vec<&String> = r.sections.iter().flat_map(|s| &s.lines).collect();
        let has = |t: &str| all.iter().any(|l| l.as_str() == t);
        assert!(
            has("DUE: lease ends: 2027-01-31, within 60 days of this report (2027-01-01)"),
            "{all:?}"
        );
        // The December report goes out on 1 January: the 10 December tax
        // date has passed by then.
        assert!(
            has("PAST: property tax due: 2026-12-10 ($7,040/yr), before this report (2027-01-01): confirm it was dealt with"),
            "{all:?}"
        );
        assert!(
            has("MISSING: insurance renews: no landlord insurance recorded"),
            "{all:?}"
        );
        assert!(has("OPEN: Dishwasher leak: $240 (reported 2026-12-02)"), "{all:?}");
        // The water heater was done in October: it shows then, not in December.
        assert!(!all.iter().any(|l| l.contains("Water heater")));
        let oct = reports("portfolio", &p, &Facts::default(), "2026-10")
            .unwrap()
            .remove(0);
        let oct_lines: Vec<&String> = oct.sections.iter().flat_map(|s| &s.lines).collect();
        assert!(oct_lines
            .iter()
            .any(|l| l.as_str() == "done: Water heater replacement: $1,450 (reported 2026-10-06)"));
        assert!(
            oct_lines
                .iter()
                .any(|l| l.as_str() == "Occupancy 61% (12 vacant day(s) of 31)"),
            "{oct_lines:?}"
        );
        assert!(oct_lines.iter().any(|l| l.starts_with("FLAG: occupancy below 90%")));
    }

    /// A repair done in a later month is open in the months before it.
    #[test]
    fn repairs_are_open_until_the_month_they_were_done() {
        let p = demo();
        let lines = |period: &str| -> Vec<String> {
            reports("portfolio", &p, &Facts::default(), period).unwrap()[0]
                .sections
                .iter()
                .flat_map(|s| s.lines.clone())
                .collect()
        };
        assert!(lines("2026-11").contains(&"OPEN: Balcony railing repair: $620 (reported 2026-11-18)".to_string()));
        assert!(lines("2026-12").contains(&"done: Balcony railing repair: $620 (reported 2026-11-18)".to_string()));
        assert!(!lines("2027-01").iter().any(|l| l.contains("Balcony")));
        assert!(!lines("2026-10").iter().any(|l| l.contains("Balcony")));
    }

    /// Live charters alone do not make a month comparable: every other
    /// figure would be the file's standing one.
    #[test]
    fn a_month_without_figures_is_not_compared_even_with_live_charters() {
        let p = demo();
        let mut facts = Facts::default();
        facts.live_charters.insert("2030-04".into(), 3);
        facts.live_charters.insert("2030-05".into(), 4);
        let r = reports("csuite", &p, &facts, "2030-05").unwrap().remove(1);
        assert_eq!(
            r.sections.last().unwrap().lines,
            ["No figures for 2030-04 in the data file: nothing to compare with."]
        );
    }

    /// Crew cost = days x crew x the vessel's day rate: Cabo in December is
    /// 7 x 3 x 250 = 5,250, so 11,500 - 6,600 - 5,250 = -350, a loss.
    #[test]
    fn delivery_fleet_utilisation_and_crew_cost() {
        let p = demo();
        let (dec, _) = p.in_month("2026-12");
        let cabo = dec.assets.deliveries.iter().find(|d| d.route.contains("Cabo")).unwrap();
        let f = delivery(&dec, cabo);
        assert_eq!(f.crew_cost, 5250.0);
        assert_eq!(f.margin, -350.0);
        let fl = fleet(&dec, "2026-12");
        assert_eq!(fl[0].1, 2);
        assert_eq!(fl[0].2, 8.0);
        assert!((fl[0].3 - 8.0 / 31.0).abs() < 1e-9);
        assert_eq!(fl[0].4, 500.0 + 5250.0);
    }
}
