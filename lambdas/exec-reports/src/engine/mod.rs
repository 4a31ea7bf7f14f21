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

mod accounting;
mod ceo;
mod cmo;
mod cto;
mod figures;
mod finance;
mod portfolio;
#[cfg(test)]
mod tests;

pub use self::{accounting::*, ceo::*, cmo::*, cto::*, figures::*, finance::*, portfolio::*};

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
        // A weekly report says which month's books it quotes: the books are
        // monthly, the bookings live.
        if month != period {
            let month_name =
                crate::data::month_start(&month).map_or_else(|| month.clone(), |d| d.strftime("%B %Y").to_string());
            r.sections.insert(
                0,
                section(
                    "Which figures",
                    vec![format!(
                        "The week's report quotes the books of {month_name} (they change monthly); charters booked are {}.",
                        if facts_now.charters_this_month.is_some() {
                            "live from the crew table"
                        } else {
                            "the data file's until the crew table has events"
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
