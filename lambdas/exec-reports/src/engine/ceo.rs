//! The CEO report: the asset inventory, shortfalls (typed and computed
//! from the figures), KPIs to track, and the 30-day agenda (owner, due
//! date, dollar effect).

use super::*;

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

pub(super) fn shortfalls_ranked(p: &Portfolio, facts: &Facts) -> Vec<(u8, String)> {
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

pub(super) fn ceo_report(p: &Portfolio, facts: &Facts, period: &str) -> Report {
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
