//! Reports as e-mail: a subject, plain text (copy-paste friendly, section
//! headers), an HTML alternative with the same content and the report's
//! charts as inline images, and the MIME message that carries them:
//!
//! ```text
//! multipart/alternative
//! ├── text/plain                 (complete on its own)
//! └── multipart/related
//!     ├── text/html              (<img src="cid:…">)
//!     └── image/png …            (Content-ID, Content-Disposition: inline)
//! ```

use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;

use crate::engine::{Chart, Report};

/// The subject: company, title and period, on one line whatever the data
/// file holds (a line break or control character there becomes a space, so
/// nothing from the file can start a header of its own).
pub fn subject(company: &str, r: &Report) -> String {
    one_line(&format!("[{company}] {} - {}", r.title, readable_period(&r.period)))
}

/// A period as a person reads it: `2026-12` → "December 2026", the ISO
/// week `2026-W47` → "16-22 Nov 2026" (Monday to Sunday; "30 Nov - 6 Dec
/// 2026" across months, with both years across years). Anything else as it is.
pub fn readable_period(period: &str) -> String {
    use jiff::civil::{ISOWeekDate, Weekday};
    if let Some(start) = crate::data::month_start(period) {
        return start.strftime("%B %Y").to_string();
    }
    let week = period.split_once("-W").and_then(|(y, w)| {
        let (y, w) = (y.parse().ok()?, w.parse().ok()?);
        let monday = ISOWeekDate::new(y, w, Weekday::Monday).ok()?.date();
        let sunday = ISOWeekDate::new(y, w, Weekday::Sunday).ok()?.date();
        Some((monday, sunday))
    });
    match week {
        Some((a, b)) if a.year() != b.year() => format!("{} - {}", a.strftime("%-d %b %Y"), b.strftime("%-d %b %Y")),
        Some((a, b)) if a.month() != b.month() => format!("{} - {}", a.strftime("%-d %b"), b.strftime("%-d %b %Y")),
        Some((a, b)) => format!("{}-{}", a.strftime("%-d"), b.strftime("%-d %b %Y")),
        None => period.to_string(),
    }
}

/// `s` with every control character (CR, LF, tab, …) a space.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
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

/// The Content-ID of a report's chart (unique within the message).
pub fn cid(r: &Report, chart: &Chart) -> String {
    format!("{}-{}@exec-reports", r.key, chart.id)
}

pub fn html(company: &str, r: &Report) -> String {
    let mut out = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h1>{}</h1><p>{} - {}</p>",
        escape(&r.title),
        escape(company),
        escape(&r.period)
    );
    for c in &r.charts {
        out.push_str(&format!(
            "<p><img src=\"cid:{}\" alt=\"{}\" width=\"{}\" height=\"{}\" style=\"max-width:100%;height:auto\"></p>",
            escape(&cid(r, c)),
            escape(&crate::charts::alt(c)),
            crate::charts::WIDTH,
            crate::charts::HEIGHT
        ));
    }
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

/// A report's charts as (Content-ID, PNG).
pub fn images(r: &Report) -> Result<Vec<(String, Vec<u8>)>, String> {
    r.charts
        .iter()
        .map(|c| Ok((cid(r, c), crate::charts::png(c)?)))
        .collect()
}

/// The message as sent: From and To in the headers (never the BCC, which
/// goes only to SES's envelope), the text part complete on its own, the
/// HTML part with its charts inline.
pub fn mime(
    from: &str,
    to: &[String],
    subject: &str,
    text: &str,
    html: &str,
    images: &[(String, Vec<u8>)],
) -> Result<Vec<u8>, String> {
    let html_part = MimePart::new("text/html", html.to_string());
    let rich = if images.is_empty() {
        html_part
    } else {
        let mut parts = vec![html_part];
        for (cid, png) in images {
            parts.push(MimePart::new("image/png", png.clone()).inline().cid(cid.clone()));
        }
        MimePart::new("multipart/related", parts)
    };
    let body = MimePart::new(
        "multipart/alternative",
        vec![MimePart::new("text/plain", text.to_string()), rich],
    );
    MessageBuilder::new()
        .from(from.to_string())
        .to(to.iter().map(|t| t.to_string()).collect::<Vec<String>>())
        .subject(one_line(subject))
        .body(body)
        .write_to_vec()
        .map_err(|e| format!("building the MIME message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{reports, Facts};

    /// A sent CFO report: multipart/alternative of the complete text and a
    /// multipart/related HTML whose every `cid:` is one of its inline PNGs.
    #[test]
    fn the_message_carries_text_html_and_inline_charts() {
        use mail_parser::{MessageParser, MimeHeaders, PartType};
        let p = demo();
        let r = &reports("csuite", &p, &Facts::default(), "2026-W49").unwrap()[1];
        assert_eq!(r.key, "cfo");
        let html = html(&p.company, r);
        let text = text(&p.company, r);
        let images = images(r).unwrap();
        assert_eq!(images.len(), 2);
        let raw = mime(
            "reports@example.com",
            &["ceo@example.com".to_string(), "cfo@example.com".to_string()],
            &subject(&p.company, r),
            &text,
            &html,
            &images,
        )
        .unwrap();
        let raw_text = String::from_utf8_lossy(&raw);
        assert!(!raw_text.to_ascii_lowercase().contains("\nbcc:"), "no Bcc header");
        assert!(raw_text.lines().all(|l| l.len() <= 998), "RFC 5322 line length");

        let m = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(m.subject(), Some(subject(&p.company, r).as_str()));
        assert_eq!(
            m.from().unwrap().first().unwrap().address(),
            Some("reports@example.com")
        );
        assert_eq!(m.to().unwrap().iter().count(), 2);
        let root = m.root_part();
        assert_eq!(root.content_type().unwrap().subtype(), Some("alternative"));
        let PartType::Multipart(children) = &root.body else {
            panic!("root is not multipart")
        };
        let plain = m.part(children[0]).unwrap();
        assert_eq!(plain.content_type().unwrap().subtype(), Some("plain"));
        assert_eq!(plain.text_contents().unwrap().replace("\r\n", "\n"), text);
        let related = m.part(children[1]).unwrap();
        assert_eq!(related.content_type().unwrap().subtype(), Some("related"));
        let PartType::Multipart(inner) = &related.body else {
            panic!("related is not multipart")
        };
        let html_part = m.part(inner[0]).unwrap();
        assert_eq!(html_part.content_type().unwrap().subtype(), Some("html"));
        let sent_html = html_part.text_contents().unwrap();
        let mut cids = Vec::new();
        for id in &inner[1..] {
            let img = m.part(*id).unwrap();
            let ct = img.content_type().unwrap();
            assert_eq!((ct.ctype(), ct.subtype()), ("image", Some("png")));
            assert!(img.content_disposition().unwrap().is_inline());
            assert_eq!(&img.contents()[..4], b"\x89PNG");
            let cid = img.content_id().unwrap().to_string();
            assert!(
                sent_html.contains(&format!("src=\"cid:{cid}\"")),
                "{cid} not referenced"
            );
            cids.push(cid);
        }
        assert_eq!(cids, ["cfo-revenue-vs-target@exec-reports", "cfo-burn@exec-reports"]);
    }

    /// The chart data, snapshot-tested: what each picture shows.
    #[test]
    fn chart_data() {
        let p = demo();
        for (batch, period) in [("csuite", "2026-W49"), ("portfolio", "2026-12")] {
            for r in reports(batch, &p, &Facts::default(), period).unwrap() {
                if !r.charts.is_empty() {
                    insta::assert_snapshot!(
                        format!("charts_{}", r.key),
                        serde_json::to_string_pretty(&r.charts).unwrap()
                    );
                }
            }
        }
    }

    fn demo() -> crate::data::Portfolio {
        crate::data::parse("portfolio.toml", include_str!("../../../stacks/data/portfolio.toml")).unwrap()
    }

    #[test]
    fn csuite_reports_render() {
        let p = demo();
        for r in reports("csuite", &p, &Facts::default(), "2026-W49").unwrap() {
            insta::assert_snapshot!(format!("csuite_{}", r.key), text(&p.company, &r));
        }
    }

    #[test]
    fn portfolio_reports_render() {
        let p = demo();
        for r in reports("portfolio", &p, &Facts::default(), "2026-12").unwrap() {
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
            "[Queen of San Diego Holdings] CFO report: burn, break-even and capital deployment - 16-22 Nov 2026"
        );
    }

    /// Nothing from the data file can add a header: a company or rental name
    /// with a line break (the data check refuses it; this is the builder's
    /// own guard) stays inside the Subject, as mail-parser reads the message
    /// mail-builder wrote (the versions in Cargo.lock).
    #[test]
    fn a_line_break_in_a_name_cannot_start_a_header() {
        use mail_parser::MessageParser;
        let r = Report {
            key: "rental",
            title: "Rental property: Harbor View\r\nBcc: attacker@example.com".into(),
            period: "2026-12".into(),
            sections: Vec::new(),
            charts: Vec::new(),
        };
        let company = "Example Co\nX-Injected: yes";
        let subject = subject(company, &r);
        assert!(!subject.chars().any(char::is_control), "{subject:?}");
        let raw = mime(
            "reports@example.com",
            &["owner@example.com".into()],
            &subject,
            "t",
            "<p>h</p>",
            &[],
        )
        .unwrap();
        let parsed = MessageParser::default().parse(&raw).unwrap();
        assert!(parsed.bcc().is_none(), "no Bcc header was added");
        assert!(parsed.header("X-Injected").is_none(), "no header was added");
        assert!(parsed.subject().unwrap().contains("Bcc: attacker@example.com"));
        // The builder's own guard, for a caller that passes a raw subject.
        let raw = mime(
            "reports@example.com",
            &["owner@example.com".into()],
            "a\r\nBcc: b@example.com",
            "t",
            "h",
            &[],
        )
        .unwrap();
        assert!(MessageParser::default().parse(&raw).unwrap().bcc().is_none());
    }

    /// Subjects say when in words a person reads, not ISO week numbers.
    #[test]
    fn periods_read_as_dates() {
        assert_eq!(readable_period("2026-12"), "December 2026");
        assert_eq!(readable_period("2026-W47"), "16-22 Nov 2026");
        assert_eq!(readable_period("2026-W49"), "30 Nov - 6 Dec 2026");
        assert_eq!(readable_period("2026-W01"), "29 Dec 2025 - 4 Jan 2026");
        assert_eq!(readable_period("soon"), "soon");
    }
}
