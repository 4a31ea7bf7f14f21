//! The accounting report: the accounting system finding, the chart of
//! accounts, revenue-recognition gaps, the month's income statement (the
//! books'), expenses by category, the roadmap.

use super::*;

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

pub(super) fn accounting_report(p: &Portfolio, facts: &Facts, period: &str) -> Report {
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
