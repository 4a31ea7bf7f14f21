//! The CFO report: burn, break-even (every stream counted), runway on the
//! trailing 3-month burn, the cash check, capital-deployment tiers, the
//! CFO's rules, and its charts.

use super::*;
use crate::ledger::Cents;

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
    /// The same with the data file's charter count: what its typed cash on
    /// hand must follow from (a live count that differs is not a data gap).
    pub file_cash_flow: f64,
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
    // What the charters must make up: every other line of the books, in
    // cents (a whole number of charters is never rounded up by a float).
    let shortfall = -books.net_without_charters().0;
    let per_charter = Cents::of(f.charter_price).0 - Cents::of(f.charter_variable_cost).0;
    let break_even = if shortfall <= 0 || per_charter <= 0 {
        0
    } else {
        u32::try_from((shortfall + per_charter - 1) / per_charter).unwrap_or(u32::MAX)
    };
    let net = books.net().dollars();
    let net_burn = (-net).max(0.0);
    // Only a month whose own row gives its cash is checked against the
    // month before's (otherwise cash on hand is the file's standing figure).
    let row_cash = |m: &str| {
        p.months
            .iter()
            .find(|row| row.month == m)
            .and_then(|row| row.cash_on_hand)
    };
    let cash_start = p
        .view_month
        .as_deref()
        .filter(|m| row_cash(m).is_some())
        .and_then(crate::data::previous_month)
        .and_then(|m| row_cash(&m));
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
        file_cash_flow: Books::of(p, f.charters_this_month).net_cash_flow().dollars(),
        runway_months,
        targets,
        tiers,
    }
}

pub(super) fn cfo_report(p: &Portfolio, facts: &Facts, period: &str) -> Report {
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
    let flow = crate::ledger::Cents::of(c.file_cash_flow);
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
pub(super) fn trailing_burn(p: &Portfolio, facts: &Facts, this_month: f64) -> f64 {
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

/// The months to chart up to `month`: the file's months (at most the last
/// six) and `month` itself.
pub(super) fn chart_months(p: &Portfolio, month: &str) -> Vec<String> {
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
pub(super) fn cfo_charts(p: &Portfolio, facts: &Facts, month: &str) -> Vec<Chart> {
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
