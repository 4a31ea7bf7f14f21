//! Reports as e-mail: a subject, plain text (copy-paste friendly, section
//! headers) and an HTML alternative with the same content.

use crate::engine::Report;

pub fn subject(company: &str, r: &Report) -> String {
    format!("[{company}] {} - {}", r.title, r.period)
}

pub fn text(company: &str, r: &Report) -> String {
    let mut out = format!("{}\n{company} - {}\n", r.title, r.period);
    for s in &r.sections {
        out.push('\n');
        out.push_str(&s.heading.to_uppercase());
        out.push('\n');
        out.push_str(&"-".repeat(s.heading.chars().count()));
        out.push('\n');
        if s.lines.is_empty() {
            out.push_str("(none)\n");
        }
        for l in &s.lines {
            out.push_str("  ");
            out.push_str(l);
            out.push('\n');
        }
    }
    out.push_str("\nComputed by exec-reports from the portfolio data and the deployed stack.\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn html(company: &str, r: &Report) -> String {
    let mut out = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h1>{}</h1><p>{} - {}</p>",
        escape(&r.title),
        escape(company),
        escape(&r.period)
    );
    for s in &r.sections {
        out.push_str(&format!("<h2>{}</h2>", escape(&s.heading)));
        if s.lines.is_empty() {
            out.push_str("<p>(none)</p>");
            continue;
        }
        out.push_str("<ul>");
        for l in &s.lines {
            out.push_str(&format!("<li>{}</li>", escape(l)));
        }
        out.push_str("</ul>");
    }
    out.push_str(
        "<p><small>Computed by exec-reports from the portfolio data and the deployed stack.</small></p></body></html>",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{reports, Facts};

    fn demo() -> crate::data::Portfolio {
        crate::data::parse("portfolio.toml", include_str!("../../../stacks/data/portfolio.toml")).unwrap()
    }

    #[test]
    fn csuite_reports_render() {
        let p = demo();
        for r in reports("csuite", &p, &Facts::default(), "2026-W47").unwrap() {
            insta::assert_snapshot!(format!("csuite_{}", r.key), text(&p.company, &r));
        }
    }

    #[test]
    fn portfolio_reports_render() {
        let p = demo();
        for r in reports("portfolio", &p, &Facts::default(), "2026-11").unwrap() {
            insta::assert_snapshot!(format!("portfolio_{}", r.key), text(&p.company, &r));
        }
    }

    #[test]
    fn html_escapes_and_carries_every_line() {
        let p = demo();
        let r = &reports("csuite", &p, &Facts::default(), "2026-W47").unwrap()[1];
        let h = html("A & B <co>", r);
        assert!(h.contains("A &amp; B &lt;co&gt;"));
        for s in &r.sections {
            for l in &s.lines {
                assert!(h.contains(&escape(l)), "{l}");
            }
        }
        assert_eq!(
            subject(&p.company, r),
            "[Queen of San Diego Holdings (demo)] CFO report: burn, break-even and capital deployment - 2026-W47"
        );
    }
}
