//! `bosun verify-ses`: will mail from this stack be sent and delivered?
//!
//! `observe` reads SES (and, with `--create`, first creates what is missing);
//! `assess` turns what it read into checks, pure and fail-closed: anything
//! bosun could not read is `unknown`, never `pass`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::aws::ses::{self, Account, Identity};
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
    /// account.sending, account.enforcement, account.production, quota, rate,
    /// recipients, suppression, send_test.
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
pub struct Observed {
    /// By identity name: the sender identities, every destination address and
    /// each destination's domain.
    pub identities: BTreeMap<String, Result<Option<Identity>, AwsError>>,
    pub account: Option<Result<Account, AwsError>>,
    /// By destination address: the suppression reason, if suppressed.
    pub suppressed: BTreeMap<String, Result<Option<String>, AwsError>>,
    pub configuration_set: Option<Result<bool, AwsError>>,
    /// Identities, MAIL FROM settings and configuration sets created by `--create`.
    pub created: Vec<String>,
}

impl Observed {
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

/// Reads what the checks need. With `create`, first creates missing sender
/// identities, the MAIL FROM setting and the configuration set (each create
/// is idempotent, so a retried run is safe).
pub async fn observe(client: &aws_sdk_sesv2::Client, spec: &SesSpec, create: bool) -> Observed {
    let mut pace = crate::aws::Pacer::new(SES_API_INTERVAL);
    let mut obs = Observed::default();
    // Each identity is looked up once (keyed in lower case); what --create
    // read is reused.
    if create {
        for name in &spec.identities {
            let key = name.to_ascii_lowercase();
            pace.tick().await;
            match ses::identity(client, name).await {
                Ok(None) => {
                    pace.tick().await;
                    match ses::create_identity(client, name).await {
                        // Read again below: the new identity's DKIM tokens.
                        Ok(()) => obs.created.push(format!("identity {name}")),
                        Err(e) => {
                            obs.identities.insert(key, Err(e));
                        }
                    }
                }
                got => {
                    obs.identities.insert(key, got);
                }
            }
        }
        if let Some(m) = &spec.mail_from_domain {
            if let Some(parent) = mail_from_parent(spec, m) {
                // A domain created just now is read once here (and cached).
                read_identity(client, &mut pace, &mut obs, parent).await;
                if let Some(id) = obs.identity(parent) {
                    if id.mail_from.as_ref().is_none_or(|x| !x.domain.eq_ignore_ascii_case(m)) {
                        pace.tick().await;
                        match ses::put_mail_from(client, parent, m).await {
                            Ok(()) => {
                                obs.created.push(format!("MAIL FROM {m} on {parent}"));
                                obs.identities.remove(&parent.to_ascii_lowercase());
                            }
                            Err(e) => {
                                obs.identities.insert(parent.to_ascii_lowercase(), Err(e));
                            }
                        }
                    }
                }
            }
        }
        if let Some(set) = &spec.configuration_set {
            match ses::configuration_set_exists(client, set, &mut pace).await {
                Ok(false) => {
                    pace.tick().await;
                    match ses::create_configuration_set(client, set).await {
                        Ok(()) => {
                            obs.created.push(format!("configuration set {set}"));
                            obs.configuration_set = Some(Ok(true));
                        }
                        Err(e) => obs.configuration_set = Some(Err(e)),
                    }
                }
                got => obs.configuration_set = Some(got),
            }
        }
    }
    pace.tick().await;
    obs.account = Some(ses::account(client).await);
    for name in &spec.identities {
        read_identity(client, &mut pace, &mut obs, name).await;
    }
    // Recipients' identities matter only in the sandbox (or when the
    // account's state is unknown): SES then delivers to verified ones only.
    let destinations = spec.destinations();
    let sandbox = !matches!(&obs.account, Some(Ok(a)) if a.production_access);
    if sandbox {
        for d in &destinations {
            read_identity(client, &mut pace, &mut obs, d).await;
            read_identity(client, &mut pace, &mut obs, domain_of(d)).await;
        }
    }
    if !destinations.is_empty() {
        match ses::suppression_list(client, &mut pace).await {
            Ok(list) => {
                for d in destinations {
                    let reason = list.get(&d.to_ascii_lowercase()).cloned();
                    obs.suppressed.insert(d, Ok(reason));
                }
            }
            Err(e) => {
                for d in destinations {
                    obs.suppressed.insert(d, Err(e.clone()));
                }
            }
        }
    }
    if let Some(set) = &spec.configuration_set {
        if obs.configuration_set.is_none() {
            obs.configuration_set = Some(ses::configuration_set_exists(client, set, &mut pace).await);
        }
    }
    obs
}

/// Reads identity `name` into `obs` unless it was read already (keyed in lower case).
async fn read_identity(client: &aws_sdk_sesv2::Client, pace: &mut crate::aws::Pacer, obs: &mut Observed, name: &str) {
    if let std::collections::btree_map::Entry::Vacant(slot) = obs.identities.entry(name.to_ascii_lowercase()) {
        pace.tick().await;
        slot.insert(ses::identity(client, name).await);
    }
}

/// SES allows one request per second to its API actions other than sending
/// (the SES API reference says so of each such action, e.g. "You can
/// execute this operation no more than once per second"); verify-ses and the
/// deploy gate keep to it instead of meeting throttling errors.
pub const SES_API_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// The domain identity a MAIL FROM domain belongs to.
fn mail_from_parent<'a>(spec: &'a SesSpec, mail_from: &str) -> Option<&'a str> {
    let m = mail_from.to_ascii_lowercase();
    spec.identities
        .iter()
        .filter(|i| !i.contains('@'))
        .find(|d| m.ends_with(&format!(".{}", d.to_ascii_lowercase())))
        .map(String::as_str)
}

fn is_access_denied(e: &AwsError) -> bool {
    e.code
        .as_deref()
        .is_some_and(|c| c.starts_with("AccessDenied") || c == "UnauthorizedOperation")
}

/// Turns what was read into checks. Pure.
pub fn assess(spec: &SesSpec, obs: &Observed, region: &str, volume: &Volume) -> Vec<Check> {
    let mut checks = Vec::new();
    for name in &spec.identities {
        checks.extend(identity_checks(name, obs, region));
    }
    if let Some(m) = &spec.mail_from_domain {
        checks.push(mail_from_check(spec, m, obs, region));
    }
    if let Some(set) = &spec.configuration_set {
        checks.push(match &obs.configuration_set {
            Some(Ok(true)) => Check::new("configuration_set", set, Status::Pass, "exists"),
            Some(Ok(false)) => Check::new("configuration_set", set, Status::Fail, "does not exist in SES")
                .fix("run `bosun verify-ses --create`, or remove `configuration_set` from [ses]"),
            Some(Err(e)) => Check::new(
                "configuration_set",
                set,
                Status::Fail,
                format!("could not be read: {}", e.message),
            ),
            None => Check::new("configuration_set", set, Status::Unknown, "not read"),
        });
    }
    checks.extend(account_checks(spec, obs, volume));
    checks.push(suppression_check(obs));
    checks
}

fn identity_checks(name: &str, obs: &Observed, region: &str) -> Vec<Check> {
    let is_domain = !name.contains('@');
    let created = obs.created.iter().any(|c| c == &format!("identity {name}"));
    let id = match obs.identities.get(&name.to_ascii_lowercase()) {
        Some(Ok(Some(id))) => id,
        Some(Ok(None)) => {
            return vec![Check::new(
                "identity",
                name,
                Status::Fail,
                format!("does not exist in SES ({region})"),
            )
            .fix("run `bosun verify-ses --create` to create it, then complete its verification")];
        }
        Some(Err(e)) => {
            let mut c = Check::new(
                "identity",
                name,
                Status::Fail,
                format!("could not be read: {}", e.message),
            );
            if let Some(h) = &e.help {
                c = c.fix(h.clone());
            }
            return vec![c];
        }
        None => return vec![Check::new("identity", name, Status::Unknown, "not read")],
    };
    let tokens = id.dkim.as_ref().map(|d| d.tokens.clone()).unwrap_or_default();
    let records = if is_domain {
        dkim_records(name, &tokens)
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    let suffix = if created { " (created now)" } else { "" };
    out.push(if id.verified() {
        Check::new("identity", name, Status::Pass, format!("verified for sending{suffix}"))
    } else {
        let status = id.verification_status.as_deref().unwrap_or("not verified");
        let fix = match (is_domain, status) {
            (false, _) => format!("open the verification e-mail SES sent to {name} and click its link, then run again"),
            (true, "PENDING") => {
                "publish the DNS records below; SES verifies the domain once it sees them (up to 72 hours)".into()
            }
            (true, _) => {
                "publish the DNS records below (check they resolve), or delete and re-create the identity".into()
            }
        };
        Check::new(
            "identity",
            name,
            Status::Fail,
            format!("not verified for sending (verification {status}){suffix}"),
        )
        .fix(fix)
        .records(records.clone())
    });
    if is_domain {
        out.push(match &id.dkim {
            Some(d) if !d.signing_enabled => Check::new("dkim", name, Status::Fail, "DKIM signing is disabled")
                .fix("enable Easy DKIM for the domain (SES console or PutEmailIdentityDkimAttributes) and publish the records"),
            None => Check::new("dkim", name, Status::Fail, "SES reports no DKIM settings")
                .fix("enable Easy DKIM for the domain and publish its CNAME records"),
            Some(d) => match d.status.as_deref() {
                Some("SUCCESS") => Check::new("dkim", name, Status::Pass, "signing enabled, records verified"),
                Some("PENDING") => Check::new("dkim", name, Status::Warn, "signing enabled, DNS records not yet seen")
                    .fix("publish these CNAME records; SES checks them for up to 72 hours")
                    .records(records),
                other => Check::new(
                    "dkim",
                    name,
                    Status::Fail,
                    format!("DKIM status {}", other.unwrap_or("unknown")),
                )
                .fix("publish (or correct) these CNAME records, then run again")
                .records(records),
            },
        });
    }
    out
}

fn mail_from_check(spec: &SesSpec, m: &str, obs: &Observed, region: &str) -> Check {
    let records = mail_from_records(m, region);
    let Some(parent) = mail_from_parent(spec, m) else {
        return Check::new("mail_from", m, Status::Fail, "no domain identity is its parent");
    };
    let Some(id) = obs.identity(parent) else {
        return Check::new(
            "mail_from",
            m,
            Status::Fail,
            format!("cannot be checked: identity {parent} is missing or unreadable"),
        )
        .fix("fix the identity first");
    };
    match &id.mail_from {
        Some(x) if x.domain.eq_ignore_ascii_case(m) => match x.status.as_str() {
            "SUCCESS" => Check::new(
                "mail_from",
                m,
                Status::Pass,
                format!("custom MAIL FROM on {parent} verified"),
            ),
            "PENDING" => Check::new(
                "mail_from",
                m,
                Status::Warn,
                "MX/SPF records not yet seen (SES falls back to amazonses.com)",
            )
            .fix("publish these records")
            .records(records),
            other => Check::new("mail_from", m, Status::Fail, format!("MAIL FROM status {other}"))
                .fix("publish (or correct) these records, then run again")
                .records(records),
        },
        Some(x) => Check::new(
            "mail_from",
            m,
            Status::Fail,
            format!("{parent} uses MAIL FROM {} instead", x.domain),
        )
        .fix("run `bosun verify-ses --create` to set it"),
        None => Check::new("mail_from", m, Status::Fail, format!("not configured on {parent}"))
            .fix("run `bosun verify-ses --create` to set it, then publish the records")
            .records(records),
    }
}

/// Destinations that are not verified identities (needed in the sandbox).
fn unverified_destinations(spec: &SesSpec, obs: &Observed) -> Vec<String> {
    spec.destinations()
        .into_iter()
        .filter(|d| {
            let ok = |n: &str| obs.identity(n).is_some_and(Identity::verified);
            !(ok(d) || ok(domain_of(d)))
        })
        .collect()
}

fn account_checks(spec: &SesSpec, obs: &Observed, volume: &Volume) -> Vec<Check> {
    let daily = volume.daily(spec);
    let acct = match &obs.account {
        Some(Ok(a)) => a,
        Some(Err(e)) if is_access_denied(e) => {
            return vec![Check::new(
                "account",
                "account",
                Status::Fail,
                format!("could not be read: {}", e.message),
            )
            .fix("allow ses:GetAccount for the credentials bosun runs with")];
        }
        other => {
            let why = match other {
                Some(Err(e)) => e.message.clone(),
                _ => "not read".into(),
            };
            let mut out = vec![Check::new(
                "account",
                "account",
                Status::Unknown,
                format!("sending status, sandbox and quota could not be read ({why})"),
            )
            .fix("check production access, sending status and the daily quota in the SES console")];
            let missing = unverified_destinations(spec, obs);
            if !missing.is_empty() {
                out.push(
                    Check::new(
                        "recipients",
                        &missing.join(", "),
                        Status::Warn,
                        format!("not verified identities: if the account is in the sandbox, mail to them is rejected ({SANDBOX_NOTE})"),
                    )
                    .fix("verify these addresses, or make sure the account has production access"),
                );
            }
            return out;
        }
    };
    let mut out = Vec::new();
    out.push(if acct.sending_enabled {
        Check::new("account.sending", "account", Status::Pass, "sending enabled")
    } else {
        Check::new(
            "account.sending",
            "account",
            Status::Fail,
            "sending is disabled for this account and region",
        )
        .fix("SES paused sending; see the SES console's account dashboard and AWS support")
    });
    out.push(match acct.enforcement_status.as_deref() {
        Some("HEALTHY") => Check::new("account.enforcement", "account", Status::Pass, "healthy"),
        Some("PROBATION") => Check::new(
            "account.enforcement",
            "account",
            Status::Warn,
            "under review (probation): bounce or complaint rates are too high",
        )
        .fix("fix the cause before SES pauses sending; see the reputation dashboard"),
        Some("SHUTDOWN") => Check::new(
            "account.enforcement",
            "account",
            Status::Fail,
            "sending was shut down by SES",
        )
        .fix("open an AWS support case"),
        other => Check::new(
            "account.enforcement",
            "account",
            Status::Unknown,
            format!("enforcement status {}", other.unwrap_or("not reported")),
        ),
    });
    if acct.production_access {
        out.push(Check::new(
            "account.production",
            "account",
            Status::Pass,
            "production access",
        ));
    } else {
        out.push(
            Check::new(
                "account.production",
                "account",
                Status::Warn,
                format!("sandbox: {SANDBOX_NOTE}"),
            )
            .fix("request production access in the SES console"),
        );
        let missing = unverified_destinations(spec, obs);
        out.push(if missing.is_empty() {
            Check::new("recipients", "all", Status::Pass, "every recipient and the audit BCC is a verified identity")
        } else {
            Check::new(
                "recipients",
                &missing.join(", "),
                Status::Fail,
                format!(
                    "not verified identities; in the sandbox SES rejects mail to them ({} address(es))",
                    missing.len()
                ),
            )
            .fix("verify each address (aws sesv2 create-email-identity --email-identity ADDRESS), or request production access")
        });
    }
    if acct.max_24_hour_send < 0.0 {
        out.push(Check::new(
            "quota",
            "account",
            Status::Pass,
            format!("{daily} a day expected; the quota is unlimited"),
        ));
    } else {
        let remaining = (acct.max_24_hour_send - acct.sent_last_24_hours).max(0.0);
        out.push(if daily > acct.max_24_hour_send {
            Check::new(
                "quota",
                "account",
                Status::Fail,
                format!(
                    "{daily} messages a day expected, above the 24-hour quota of {}",
                    acct.max_24_hour_send
                ),
            )
            .fix("request a sending quota increase, or send fewer reports")
        } else if daily > remaining {
            Check::new(
                "quota",
                "account",
                Status::Warn,
                format!(
                    "{daily} a day expected, but only {remaining} left now ({} sent in the last 24 hours)",
                    acct.sent_last_24_hours
                ),
            )
            .fix("other senders share this account's quota; request an increase")
        } else {
            Check::new(
                "quota",
                "account",
                Status::Pass,
                format!(
                    "{daily} a day expected, quota {} ({} used)",
                    acct.max_24_hour_send, acct.sent_last_24_hours
                ),
            )
        });
    }
    let bcc = usize::from(spec.audit_bcc.is_some());
    let burst = spec.recipients.values().map(|r| r.len() + bcc).max().unwrap_or(0) as f64;
    out.push(if burst > acct.max_send_rate {
        Check::new(
            "rate",
            "account",
            Status::Warn,
            format!(
                "a batch addresses {burst} recipients at once, above the rate of {}/s",
                acct.max_send_rate
            ),
        )
        .fix("pace sends in the report function, or request a higher sending rate")
    } else {
        Check::new(
            "rate",
            "account",
            Status::Pass,
            format!("largest batch {burst} within {}/s", acct.max_send_rate),
        )
    });
    out
}

fn suppression_check(obs: &Observed) -> Check {
    let mut suppressed = Vec::new();
    let mut unread = Vec::new();
    for (addr, r) in &obs.suppressed {
        match r {
            Ok(Some(reason)) => suppressed.push(format!("{addr} ({reason})")),
            Ok(None) => {}
            Err(e) if is_access_denied(e) => suppressed.push(format!("{addr} (unreadable: {})", e.message)),
            Err(_) => unread.push(addr.clone()),
        }
    }
    if !suppressed.is_empty() {
        Check::new(
            "suppression",
            &suppressed.join(", "),
            Status::Fail,
            "on the account's suppression list: SES drops mail to them silently",
        )
        .fix("fix the cause, then remove each: aws sesv2 delete-suppressed-destination --email-address ADDRESS")
    } else if !unread.is_empty() {
        Check::new(
            "suppression",
            &unread.join(", "),
            Status::Unknown,
            "the suppression list could not be read for these addresses",
        )
        .fix("check the account-level suppression list in the SES console")
    } else if obs.suppressed.is_empty() {
        Check::new("suppression", "-", Status::Pass, "no recipients declared")
    } else {
        Check::new(
            "suppression",
            &format!("{} address(es)", obs.suppressed.len()),
            Status::Pass,
            "none is suppressed",
        )
    }
}

/// Sends one message to the SES mailbox simulator.
pub async fn send_test(client: &aws_sdk_sesv2::Client, spec: &SesSpec, stack: &str) -> Check {
    let from = if spec.sender.contains('@') {
        spec.sender.clone()
    } else {
        format!("bosun@{}", spec.sender)
    };
    let subject = format!("bosun verify-ses: {stack}");
    let text = "A test message from bosun verify-ses --send-test. It went to the SES mailbox simulator.";
    let mail = ses::TextMail {
        from: &from,
        to: SIMULATOR_SUCCESS,
        configuration_set: spec.configuration_set.as_deref(),
        subject: &subject,
        text,
    };
    match ses::send_text(client, &mail).await {
        Ok(id) => Check::new(
            "send_test",
            SIMULATOR_SUCCESS,
            Status::Pass,
            format!("accepted from {from} (message id {id})"),
        ),
        Err(e) => Check::new(
            "send_test",
            SIMULATOR_SUCCESS,
            Status::Fail,
            format!("SendEmail from {from}: {}", e.message),
        )
        .fix(
            e.help
                .unwrap_or_else(|| "fix the failures above, then run again".into()),
        ),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ses::{Dkim, MailFrom};

    fn spec() -> SesSpec {
        let mut s = SesSpec::sender_only("reports@example.com");
        s.identities = vec!["example.com".into()];
        s.audit_bcc = Some("audit@example.com".into());
        s.recipients.insert(
            "csuite".into(),
            vec!["ceo@example.com".into(), "cfo@example.net".into()],
        );
        s
    }

    fn verified_domain() -> Identity {
        Identity {
            kind: "DOMAIN".into(),
            verified_for_sending: true,
            verification_status: Some("SUCCESS".into()),
            dkim: Some(Dkim {
                signing_enabled: true,
                status: Some("SUCCESS".into()),
                tokens: vec!["tok1".into()],
            }),
            mail_from: None,
        }
    }

    fn production() -> Account {
        Account {
            production_access: true,
            sending_enabled: true,
            enforcement_status: Some("HEALTHY".into()),
            max_24_hour_send: 50_000.0,
            max_send_rate: 14.0,
            sent_last_24_hours: 10.0,
        }
    }

    fn observed(domain: Identity, account: Account) -> Observed {
        let mut o = Observed::default();
        o.identities.insert("example.com".into(), Ok(Some(domain)));
        o.account = Some(Ok(account));
        for a in ["ceo@example.com", "cfo@example.net", "audit@example.com"] {
            o.suppressed.insert(a.into(), Ok(None));
        }
        o
    }

    fn find<'a>(checks: &'a [Check], name: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.check == name)
            .unwrap_or_else(|| panic!("no {name} check in {checks:#?}"))
    }

    #[test]
    fn a_verified_domain_in_production_is_ready() {
        let checks = assess(
            &spec(),
            &observed(verified_domain(), production()),
            "us-west-2",
            &Volume::default(),
        );
        assert!(checks.iter().all(|c| c.status == Status::Pass), "{checks:#?}");
        let r = Report::new("s", "us-west-2", checks, vec![], true, 3.0);
        assert!(r.ready);
    }

    #[test]
    fn pending_dkim_warns_with_the_cname_records() {
        let mut d = verified_domain();
        d.dkim.as_mut().unwrap().status = Some("PENDING".into());
        let checks = assess(&spec(), &observed(d, production()), "us-west-2", &Volume::default());
        let c = find(&checks, "dkim");
        assert_eq!(c.status, Status::Warn);
        assert_eq!(
            c.records,
            vec![DnsRecord {
                name: "tok1._domainkey.example.com".into(),
                kind: "CNAME",
                value: "tok1.dkim.amazonses.com".into()
            }]
        );
        let r = Report::new("s", "r", checks.clone(), vec![], false, 0.0);
        assert!(r.ready, "warnings do not fail without --strict");
        assert!(
            !Report::new("s", "r", checks, vec![], true, 0.0).ready,
            "--strict fails on warnings"
        );
    }

    #[test]
    fn failed_or_disabled_dkim_fails() {
        for (enabled, status) in [(true, Some("FAILED")), (true, None), (false, Some("SUCCESS"))] {
            let mut d = verified_domain();
            let dk = d.dkim.as_mut().unwrap();
            dk.signing_enabled = enabled;
            dk.status = status.map(str::to_string);
            let checks = assess(&spec(), &observed(d, production()), "r", &Volume::default());
            assert_eq!(find(&checks, "dkim").status, Status::Fail, "{enabled} {status:?}");
        }
    }

    #[test]
    fn a_missing_identity_fails_and_names_the_fix() {
        let mut o = observed(verified_domain(), production());
        o.identities.insert("example.com".into(), Ok(None));
        let checks = assess(&spec(), &o, "us-west-2", &Volume::default());
        let c = find(&checks, "identity");
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("does not exist in SES (us-west-2)"));
        assert!(c.fix.as_deref().unwrap().contains("--create"));
    }

    #[test]
    fn a_pending_identity_fails() {
        let mut d = verified_domain();
        d.verified_for_sending = false;
        d.verification_status = Some("PENDING".into());
        let checks = assess(&spec(), &observed(d, production()), "r", &Volume::default());
        let c = find(&checks, "identity");
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("PENDING"));
        assert_eq!(c.records.len(), 1);
    }

    #[test]
    fn mail_from_states() {
        let mut s = spec();
        s.mail_from_domain = Some("mail.example.com".into());
        let mut d = verified_domain();
        let check = |d: &Identity| {
            let checks = assess(&s, &observed(d.clone(), production()), "us-west-2", &Volume::default());
            find(&checks, "mail_from").clone()
        };
        let c = check(&d);
        assert_eq!(c.status, Status::Fail);
        assert!(c.message.contains("not configured"));
        assert_eq!(c.records[0].value, "10 feedback-smtp.us-west-2.amazonses.com");
        for (st, want) in [
            ("SUCCESS", Status::Pass),
            ("PENDING", Status::Warn),
            ("FAILED", Status::Fail),
        ] {
            d.mail_from = Some(MailFrom {
                domain: "mail.example.com".into(),
                status: st.into(),
            });
            assert_eq!(check(&d).status, want, "{st}");
        }
    }

    #[test]
    fn sandbox_requires_verified_recipients_and_names_them() {
        let mut a = production();
        a.production_access = false;
        let mut o = observed(verified_domain(), a);
        // example.com is verified, so ceo@ and audit@ are covered; cfo@example.net is not.
        o.identities.insert("cfo@example.net".into(), Ok(None));
        let checks = assess(&spec(), &o, "r", &Volume::default());
        assert_eq!(find(&checks, "account.production").status, Status::Warn);
        let c = find(&checks, "recipients");
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.subject, "cfo@example.net");
    }

    #[test]
    fn sandbox_audit_bcc_must_be_verified_too() {
        let mut a = production();
        a.production_access = false;
        let mut s = spec();
        s.recipients.insert("csuite".into(), vec!["ceo@example.com".into()]);
        s.audit_bcc = Some("audit@example.org".into());
        let o = observed(verified_domain(), a);
        let c = find(&assess(&s, &o, "r", &Volume::default()), "recipients").clone();
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.subject, "audit@example.org");
    }

    #[test]
    fn account_states() {
        let mut a = production();
        a.sending_enabled = false;
        let checks = assess(&spec(), &observed(verified_domain(), a), "r", &Volume::default());
        assert_eq!(find(&checks, "account.sending").status, Status::Fail);
        for (st, want) in [
            ("HEALTHY", Status::Pass),
            ("PROBATION", Status::Warn),
            ("SHUTDOWN", Status::Fail),
            ("SOMETHING_NEW", Status::Unknown),
        ] {
            let mut a = production();
            a.enforcement_status = Some(st.into());
            let checks = assess(&spec(), &observed(verified_domain(), a), "r", &Volume::default());
            assert_eq!(find(&checks, "account.enforcement").status, want, "{st}");
        }
    }

    #[test]
    fn an_unreadable_account_is_unknown_never_pass() {
        let mut o = observed(verified_domain(), production());
        o.account = Some(Err(AwsError {
            operation: "sesv2:GetAccount",
            resource: "account".into(),
            message: "404 Not Found".into(),
            code: None,
            help: None,
        }));
        let checks = assess(&spec(), &o, "r", &Volume::default());
        assert_eq!(find(&checks, "account").status, Status::Unknown);
        assert_eq!(find(&checks, "recipients").status, Status::Warn);
        let r = Report::new("s", "r", checks, vec![], false, 0.0);
        assert!(r.ready && r.unknown == 1);
    }

    #[test]
    fn quota_against_expected_volume() {
        let s = spec();
        let mut vol = Volume::default();
        vol.sends_per_day.insert("csuite".into(), 24.0);
        assert_eq!(vol.daily(&s), 72.0, "(2 recipients + bcc) x 24 sends");
        let mut a = production();
        a.max_24_hour_send = 50.0;
        let checks = assess(&s, &observed(verified_domain(), a.clone()), "r", &vol);
        assert_eq!(find(&checks, "quota").status, Status::Fail);
        a.max_24_hour_send = 100.0;
        a.sent_last_24_hours = 40.0;
        let checks = assess(&s, &observed(verified_domain(), a.clone()), "r", &vol);
        assert_eq!(find(&checks, "quota").status, Status::Warn);
        a.max_24_hour_send = -1.0;
        let checks = assess(&s, &observed(verified_domain(), a.clone()), "r", &vol);
        assert_eq!(find(&checks, "quota").status, Status::Pass);
        a.max_send_rate = 1.0;
        let checks = assess(&s, &observed(verified_domain(), a), "r", &vol);
        assert_eq!(find(&checks, "rate").status, Status::Warn);
    }

    #[test]
    fn suppressed_addresses_fail_unreadable_ones_are_unknown() {
        let mut o = observed(verified_domain(), production());
        o.suppressed.insert("cfo@example.net".into(), Ok(Some("BOUNCE".into())));
        let c = find(&assess(&spec(), &o, "r", &Volume::default()), "suppression").clone();
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.subject, "cfo@example.net (BOUNCE)");
        let mut o = observed(verified_domain(), production());
        o.suppressed.insert(
            "cfo@example.net".into(),
            Err(AwsError {
                operation: "sesv2:GetSuppressedDestination",
                resource: "cfo@example.net".into(),
                message: "404".into(),
                code: None,
                help: None,
            }),
        );
        let c = find(&assess(&spec(), &o, "r", &Volume::default()), "suppression").clone();
        assert_eq!(c.status, Status::Unknown);
    }
}
