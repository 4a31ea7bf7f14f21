//! The CTO report: stacks, security gaps (from the data and the deployed
//! stack), the development cycle, AWS cost, ranked engineering actions.

use super::*;

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

pub(super) fn cto_report(p: &Portfolio, facts: &Facts, period: &str) -> Report {
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
