//! What the reports compare month on month, every figure by a stable
//! name (`key_figures`, the `--format json` output and the archive's), and
//! the period a report is for.

use super::*;

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
pub(super) fn slug(label: &str) -> String {
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
