//! The portfolio batch: the rental property (income, vacancy, repairs,
//! dated obligations), yacht deliveries (fleet, margins per route), and the
//! client billing audit (receivables carried forward until billed).

use super::*;

/// How a dated obligation stands when the month's report goes out (the
/// first day after the month; the portfolio batch runs then): missing,
/// past, due within 60 days, or later.
pub(super) fn obligation(what: &str, date: Option<&str>, amount: Option<f64>, month: &str, missing: &str) -> String {
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

pub(super) fn rental_report(p: &Portfolio, month: &str, period: &str) -> Option<Report> {
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

pub(super) fn deliveries_report(p: &Portfolio, month: &str, period: &str) -> Option<Report> {
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
    /// The earlier month being added up (its balance not yet carried).
    #[serde(skip)]
    pending: f64,
    #[serde(skip)]
    backlog_month: Option<String>,
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
                    pending: 0.0,
                    backlog_month: None,
                });
                out.len() - 1
            }
        };
        let r = &mut out[i];
        let due = c.hours * c.rate;
        match (c.month.as_deref(), month) {
            (Some(m), Some(now)) if m < now => {
                // An earlier month's rows are added up before the month's
                // balance is carried (never below zero), whatever their order.
                if r.backlog_month.as_deref() != Some(m) {
                    r.backlog_before = (r.backlog_before + r.pending).max(0.0);
                    r.pending = 0.0;
                    r.backlog_month = Some(m.to_string());
                }
                r.pending += due - c.billed;
            }
            _ => {
                r.hours += c.hours;
                r.work += due;
                r.billed += c.billed;
            }
        }
    }
    for r in &mut out {
        r.backlog_before = (r.backlog_before + r.pending).max(0.0);
        r.pending = 0.0;
        r.billed_from_backlog = (r.billed - r.work).clamp(0.0, r.backlog_before);
        r.unbilled = (r.backlog_before + r.work - r.billed).max(0.0);
    }
    let order = |account: &str| p.assets.clients.iter().position(|c| c.account == account);
    out.sort_by_key(|r| order(r.account));
    out
}

pub(super) fn billing_report(p: &Portfolio, period: &str) -> Option<Report> {
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
