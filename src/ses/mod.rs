//! `bosun verify-ses`: will mail from this stack be sent and delivered?
//!
//! `observe` reads SES (and, with `--create`, first creates what is missing);
//! `assess` turns what it read into checks, pure and fail-closed: anything
//! bosun could not read is `unknown`, never `pass`.

mod checks;
mod observe;
#[cfg(test)]
mod tests;

pub use checks::assess;
pub use observe::{observe, send_test, SES_API_INTERVAL};

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::aws::ses::{Account, EventDestination, Identity};
use crate::aws::AwsError;
use crate::model::SesSpec;

/// The SES mailbox simulator address that accepts and reports delivery.
pub const SIMULATOR_SUCCESS: &str = "success@simulator.amazonses.com";

/// The daily quota and rate of an account in the SES sandbox.
const SANDBOX_NOTE: &str = "in the sandbox SES delivers only to verified identities, at most 200 messages a day";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    /// bosun could not find out; counts as a warning, never as a pass.
    Unknown,
    Fail,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Unknown => "UNKNOWN",
            Status::Fail => "FAIL",
        }
    }
}

/// A DNS record the domain owner must publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
}

impl fmt::Display for DnsRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}  {}  {}", self.name, self.kind, self.value)
    }
}

/// One readiness check's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// What was checked: identity, dkim, mail_from, configuration_set,
    /// event_destination, account.sending, account.enforcement,
    /// account.production, quota, rate, recipients, suppression, send_test.
    pub check: &'static str,
    /// The identity, address or "account" the check is about.
    pub subject: String,
    pub status: Status,
    pub message: String,
    /// What to do about a warning or failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<DnsRecord>,
}

impl Check {
    fn new(check: &'static str, subject: &str, status: Status, message: impl Into<String>) -> Check {
        Check {
            check,
            subject: subject.to_string(),
            status,
            message: message.into(),
            fix: None,
            records: Vec::new(),
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }

    fn records(mut self, records: Vec<DnsRecord>) -> Check {
        self.records = records;
        self
    }
}

/// Expected daily sending volume: sends per day of each report batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Volume {
    pub sends_per_day: BTreeMap<String, f64>,
}

impl Volume {
    /// Messages counted against the quota per day: every recipient and the
    /// audit BCC count once per send. A batch without a known schedule is
    /// assumed to go out once a day.
    pub fn daily(&self, spec: &SesSpec) -> f64 {
        let bcc = usize::from(spec.audit_bcc.is_some());
        spec.recipients
            .iter()
            .map(|(batch, to)| (to.len() + bcc) as f64 * self.sends_per_day.get(batch).copied().unwrap_or(1.0))
            .sum()
    }
}

impl Volume {
    /// The stack's expected volume: for each report batch, the most fires in
    /// one day of the enabled mail-sending schedules that name it.
    pub fn of_stack(desired: &crate::model::Desired, now: jiff::Timestamp) -> Volume {
        let mut v = Volume::default();
        for s in desired.schedules.iter().filter(|s| s.enabled && desired.sends_mail(s)) {
            let (Some(batch), Ok(schedule)) = (s.batch(), crate::cron::Schedule::parse(&s.expression)) else {
                continue;
            };
            *v.sends_per_day.entry(batch.to_string()).or_default() += schedule.max_fires_per_day(now);
        }
        v
    }
}

/// Everything read from SES. A failed read is kept as its error.
#[derive(Debug, Default)]
pub struct LiveSes {
    /// By identity name: the sender identities, every destination address and
    /// each destination's domain.
    pub identities: BTreeMap<String, Result<Option<Identity>, AwsError>>,
    pub account: Option<Result<Account, AwsError>>,
    /// By destination address: the suppression reason, if suppressed.
    pub suppressed: BTreeMap<String, Result<Option<String>, AwsError>>,
    pub configuration_set: Option<Result<bool, AwsError>>,
    /// The configuration set's event destinations (read when the set exists),
    /// or the error of reading or writing bosun's.
    pub event_destinations: Option<Result<Vec<EventDestination>, AwsError>>,
    /// Identities, MAIL FROM settings, configuration sets and event
    /// destinations created (or updated) by `--create`.
    pub created: Vec<String>,
}

impl LiveSes {
    fn identity(&self, name: &str) -> Option<&Identity> {
        self.identities
            .get(&name.to_ascii_lowercase())
            .and_then(|r| r.as_ref().ok())
            .and_then(Option::as_ref)
    }
}

fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or(address, |(_, d)| d)
}

/// The DNS records for Easy DKIM.
pub fn dkim_records(domain: &str, tokens: &[String]) -> Vec<DnsRecord> {
    tokens
        .iter()
        .map(|t| DnsRecord {
            name: format!("{t}._domainkey.{domain}"),
            kind: "CNAME",
            value: format!("{t}.dkim.amazonses.com"),
        })
        .collect()
}

/// The DNS records for a custom MAIL FROM domain.
pub fn mail_from_records(mail_from: &str, region: &str) -> Vec<DnsRecord> {
    vec![
        DnsRecord {
            name: mail_from.to_string(),
            kind: "MX",
            value: format!("10 feedback-smtp.{region}.amazonses.com"),
        },
        DnsRecord {
            name: mail_from.to_string(),
            kind: "TXT",
            value: "\"v=spf1 include:amazonses.com ~all\"".into(),
        },
    ]
}

/// `bosun verify-ses`'s result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub stack: String,
    pub region: String,
    pub ready: bool,
    pub strict: bool,
    pub passed: usize,
    pub warnings: usize,
    pub unknown: usize,
    pub failed: usize,
    pub expected_daily_volume: f64,
    pub created: Vec<String>,
    pub checks: Vec<Check>,
}

impl Report {
    // Six facts, each a field of the report; a struct for them would only
    // repeat the report's own fields.
    pub fn new(
        stack: &str,
        region: &str,
        checks: Vec<Check>,
        created: Vec<String>,
        strict: bool,
        daily: f64,
    ) -> Report {
        let n = |s: Status| checks.iter().filter(|c| c.status == s).count();
        let (passed, warnings, unknown, failed) =
            (n(Status::Pass), n(Status::Warn), n(Status::Unknown), n(Status::Fail));
        Report {
            stack: stack.to_string(),
            region: region.to_string(),
            ready: failed == 0 && (!strict || warnings + unknown == 0),
            strict,
            passed,
            warnings,
            unknown,
            failed,
            expected_daily_volume: daily,
            created,
            checks,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use console::style;
        writeln!(f, "stack {}: SES readiness in {}", self.stack, self.region)?;
        for c in &self.created {
            writeln!(f, "  created {c}")?;
        }
        for c in &self.checks {
            let label = format!("{:<7}", c.status.label());
            let label = match c.status {
                Status::Pass => style(label).green(),
                Status::Warn | Status::Unknown => style(label).yellow(),
                Status::Fail => style(label).red().bold(),
            };
            if c.subject.chars().count() > 28 {
                writeln!(f, "  {label} {:<19} {}", c.check, c.subject)?;
                writeln!(f, "          {}", c.message)?;
            } else {
                writeln!(f, "  {label} {:<19} {:<28} {}", c.check, c.subject, c.message)?;
            }
            if let Some(fix) = &c.fix {
                writeln!(f, "          fix: {fix}")?;
            }
            for r in &c.records {
                writeln!(f, "          dns: {r}")?;
            }
        }
        let verdict = if self.ready {
            style("ready").green().to_string()
        } else {
            style("NOT READY").red().bold().to_string()
        };
        let strict = if self.strict && self.failed == 0 && !self.ready {
            " (--strict: warnings fail)"
        } else {
            ""
        };
        writeln!(
            f,
            "{} passed, {} warning(s), {} unknown, {} failed: {verdict}{strict}",
            self.passed, self.warnings, self.unknown, self.failed
        )
    }
}
