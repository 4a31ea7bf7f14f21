//! Delivery, idempotent per (batch, report, period): each report is claimed
//! with a conditional write before it is sent, marked sent with its message
//! id after, and its claim released if the send fails, so a duplicate
//! invocation or a retry sends nothing twice and a partial failure retries
//! only the unsent reports.

use std::future::Future;

use serde::Serialize;

use crate::engine::Report;
use crate::render;

/// One e-mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub to: Vec<String>,
    pub bcc: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The whole MIME message as sent (text, HTML, inline charts); the
    /// archive keeps it byte for byte.
    pub raw: Vec<u8>,
}

impl Message {
    /// A report as a message from `from`. Charts that cannot be drawn are
    /// left out (the text part is complete without them), never the report.
    pub fn of(b: &Batch<'_>, r: &Report) -> Result<Message, String> {
        let (r, images) = match render::images(r) {
            Ok(images) => (r.clone(), images),
            Err(e) => {
                tracing::warn!(report = r.key, error = %e, "charts left out");
                let mut plain = r.clone();
                plain.charts.clear();
                (plain, Vec::new())
            }
        };
        let subject = render::subject(b.company, &r);
        let text = render::text(b.company, &r);
        let html = render::html(b.company, &r);
        let raw = render::mime(b.from, b.to, &subject, &text, &html, &images)?;
        Ok(Message {
            to: b.to.to_vec(),
            bcc: b.bcc.map(str::to_string),
            subject,
            text,
            html,
            raw,
        })
    }
}

pub trait Mailer {
    /// Sends; returns the provider's message id.
    fn send(&self, m: &Message) -> impl Future<Output = Result<String, String>> + Send;
}

/// The state of a claim attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    Won,
    AlreadySent(String),
    /// Another invocation holds a fresh claim.
    InProgress,
}

pub trait Claims {
    /// Claims `run_id` for this invocation (`token`) unless it was sent or is
    /// claimed by another invocation within `lease_secs`.
    fn claim(
        &self,
        run_id: &str,
        token: &str,
        now: i64,
        lease_secs: i64,
    ) -> impl Future<Output = Result<Claim, String>> + Send;
    fn sent(
        &self,
        run_id: &str,
        token: &str,
        message_id: &str,
        now: i64,
    ) -> impl Future<Output = Result<(), String>> + Send;
    fn release(&self, run_id: &str, token: &str) -> impl Future<Output = Result<(), String>> + Send;
}

pub trait Archive {
    fn put(&self, key: &str, body: Vec<u8>) -> impl Future<Output = Result<(), String>> + Send;
}

/// What one invocation did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub batch: String,
    pub period: String,
    /// (report, message id) sent now.
    pub sent: Vec<(String, String)>,
    /// Reports already sent (or being sent) by another invocation.
    pub skipped: Vec<String>,
    /// (report, error).
    pub failed: Vec<(String, String)>,
}

pub struct Batch<'a> {
    pub batch: &'a str,
    pub period: &'a str,
    pub company: &'a str,
    /// The sender (the From header).
    pub from: &'a str,
    pub to: &'a [String],
    pub bcc: Option<&'a str>,
    /// Archive objects go under this prefix.
    pub archive_prefix: &'a str,
    /// Unique per invocation.
    pub token: &'a str,
    pub now: i64,
    /// The period's figures by name (`engine::key_figures`), archived with
    /// each report: what a dashboard or the next month's comparison reads.
    pub figures: &'a serde_json::Value,
}

/// A claim older than this is presumed abandoned (its invocation died).
pub const LEASE_SECS: i64 = 900;

pub fn run_id(batch: &str, report: &str, period: &str) -> String {
    format!("{batch}|{report}|{period}")
}

pub async fn deliver(
    b: &Batch<'_>,
    reports: &[Report],
    mailer: &impl Mailer,
    claims: &impl Claims,
    archive: &impl Archive,
) -> Outcome {
    let mut out = Outcome {
        batch: b.batch.to_string(),
        period: b.period.to_string(),
        ..Outcome::default()
    };
    for r in reports {
        let id = run_id(b.batch, r.key, b.period);
        match claims.claim(&id, b.token, b.now, LEASE_SECS).await {
            Ok(Claim::Won) => {}
            Ok(Claim::AlreadySent(_) | Claim::InProgress) => {
                out.skipped.push(r.key.to_string());
                continue;
            }
            Err(e) => {
                out.failed.push((r.key.to_string(), format!("claim: {e}")));
                continue;
            }
        }
        let message = match Message::of(b, r) {
            Ok(m) => m,
            Err(e) => {
                let why = match claims.release(&id, b.token).await {
                    Ok(()) => e,
                    Err(re) => format!("{e}; releasing the claim: {re}"),
                };
                out.failed.push((r.key.to_string(), why));
                continue;
            }
        };
        let message_id = match mailer.send(&message).await {
            Ok(id) => id,
            Err(e) => {
                // Give the report back so a retry sends it.
                if let Err(re) = claims.release(&id, b.token).await {
                    out.failed
                        .push((r.key.to_string(), format!("send: {e}; releasing the claim: {re}")));
                } else {
                    out.failed.push((r.key.to_string(), format!("send: {e}")));
                }
                continue;
            }
        };
        if let Err(e) = claims.sent(&id, b.token, &message_id, b.now).await {
            out.failed.push((
                r.key.to_string(),
                format!("sent as {message_id}, but recording it failed: {e}"),
            ));
            continue;
        }
        let record = serde_json::json!({
            "batch": b.batch, "report": r.key, "period": b.period, "message_id": message_id,
            "to": b.to, "bcc": b.bcc, "subject": message.subject, "text": message.text,
            "figures": b.figures,
        });
        let key = format!("{}{}/{}/{}", b.archive_prefix, b.period, b.batch, r.key);
        for (key, body) in [
            (format!("{key}.json"), record.to_string().into_bytes()),
            (format!("{key}.eml"), message.raw),
        ] {
            if let Err(e) = archive.put(&key, body).await {
                out.failed.push((
                    r.key.to_string(),
                    format!("sent as {message_id}; archiving {key} failed: {e}"),
                ));
                break;
            }
        }
        out.sent.push((r.key.to_string(), message_id));
    }
    out
}

#[cfg(test)]
pub mod fakes {
    //! In-memory claims, archive and a mailer that can fail on chosen sends.
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Mutex;

    use super::*;

    /// run id → (token, message id once sent, claimed at).
    type ClaimRows = BTreeMap<String, (String, Option<String>, i64)>;

    #[derive(Default)]
    pub struct MemClaims(pub Mutex<ClaimRows>);

    impl Claims for MemClaims {
        async fn claim(&self, run_id: &str, token: &str, now: i64, lease: i64) -> Result<Claim, String> {
            let mut m = self.0.lock().unwrap();
            match m.get(run_id) {
                Some((_, Some(id), _)) => Ok(Claim::AlreadySent(id.clone())),
                Some((_, None, at)) if now - at < lease => Ok(Claim::InProgress),
                _ => {
                    m.insert(run_id.into(), (token.into(), None, now));
                    Ok(Claim::Won)
                }
            }
        }
        async fn sent(&self, run_id: &str, token: &str, message_id: &str, now: i64) -> Result<(), String> {
            self.0
                .lock()
                .unwrap()
                .insert(run_id.into(), (token.into(), Some(message_id.into()), now));
            Ok(())
        }
        async fn release(&self, run_id: &str, _: &str) -> Result<(), String> {
            self.0.lock().unwrap().remove(run_id);
            Ok(())
        }
    }

    #[derive(Default)]
    pub struct FlakyMailer {
        pub fail_subjects_containing: BTreeSet<String>,
        pub sent: Mutex<Vec<Message>>,
    }

    impl Mailer for FlakyMailer {
        async fn send(&self, m: &Message) -> Result<String, String> {
            if self
                .fail_subjects_containing
                .iter()
                .any(|s| m.subject.contains(s.as_str()))
            {
                return Err("Throttling: maximum sending rate exceeded".into());
            }
            let mut sent = self.sent.lock().unwrap();
            sent.push(m.clone());
            Ok(format!("msg-{}", sent.len()))
        }
    }

    #[derive(Default)]
    pub struct MemArchive(pub Mutex<BTreeMap<String, Vec<u8>>>);

    impl Archive for MemArchive {
        async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), String> {
            self.0.lock().unwrap().insert(key.into(), body);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fakes::*;
    use super::*;
    use crate::engine::{reports, Facts};

    fn batch<'a>(to: &'a [String], token: &'a str, now: i64) -> Batch<'a> {
        Batch {
            batch: "csuite",
            period: "2026-W47",
            company: "Demo",
            from: "reports@example.com",
            to,
            bcc: Some("audit@example.com"),
            archive_prefix: "archive/exec-reports/",
            figures: &serde_json::Value::Null,
            token,
            now,
        }
    }

    #[tokio::test]
    async fn a_partial_failure_retries_only_the_unsent_reports() {
        let p = crate::data::parse("p.toml", include_str!("../../../stacks/data/portfolio.toml")).unwrap();
        let rs = reports("csuite", &p, &Facts::default(), "2026-W47").unwrap();
        let to = vec!["ceo@example.com".to_string()];
        let claims = MemClaims::default();
        let archive = MemArchive::default();
        let mut flaky = FlakyMailer::default();
        flaky.fail_subjects_containing.insert("CMO report".into());
        flaky.fail_subjects_containing.insert("Accounting report".into());

        let first = deliver(&batch(&to, "t1", 1000), &rs, &flaky, &claims, &archive).await;
        assert_eq!(first.sent.len(), 3);
        let failed: Vec<&str> = first.failed.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(failed, ["cmo", "accounting"]);
        let m = flaky.sent.lock().unwrap()[0].clone();
        assert_eq!(m.to, to);
        assert_eq!(m.bcc.as_deref(), Some("audit@example.com"));

        // The retry (a new invocation) sends only the two that failed.
        let ok = FlakyMailer::default();
        let second = deliver(&batch(&to, "t2", 1010), &rs, &ok, &claims, &archive).await;
        let sent: Vec<&str> = second.sent.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(sent, ["cmo", "accounting"]);
        assert_eq!(second.skipped, ["ceo", "cfo", "cto"]);
        assert!(second.failed.is_empty());
        assert_eq!(
            archive.0.lock().unwrap().len(),
            10,
            "each sent report archived once (record and message)"
        );

        // A duplicate delivery sends nothing at all.
        let third = deliver(&batch(&to, "t3", 1020), &rs, &ok, &claims, &archive).await;
        assert!(third.sent.is_empty());
        assert_eq!(third.skipped.len(), 5);
        assert_eq!(ok.sent.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn an_abandoned_claim_is_taken_after_its_lease_but_a_fresh_one_is_not() {
        let p = crate::data::parse("p.toml", include_str!("../../../stacks/data/portfolio.toml")).unwrap();
        let rs = &reports("csuite", &p, &Facts::default(), "2026-W47").unwrap()[..1];
        let to = vec!["ceo@example.com".to_string()];
        let claims = MemClaims::default();
        claims
            .0
            .lock()
            .unwrap()
            .insert(run_id("csuite", "ceo", "2026-W47"), ("dead".into(), None, 1000));
        let archive = MemArchive::default();
        let mailer = FlakyMailer::default();
        let out = deliver(&batch(&to, "t", 1000 + LEASE_SECS - 1), rs, &mailer, &claims, &archive).await;
        assert_eq!(out.skipped, ["ceo"]);
        let out = deliver(&batch(&to, "t", 1000 + LEASE_SECS + 1), rs, &mailer, &claims, &archive).await;
        assert_eq!(out.sent.len(), 1);
    }
}
