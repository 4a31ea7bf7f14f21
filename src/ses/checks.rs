//! The pure side of verify-ses: what was read becomes checks, each with a
//! status, a message and the fix. Fail-closed: what could not be read is
//! `unknown`, never `pass`.

use super::{dkim_records, domain_of, mail_from_records, Check, DnsRecord, LiveSes, Status, Volume, SANDBOX_NOTE};
use crate::aws::ses::{Account, CloudWatchDimension, DestinationTarget, EventDestination, Identity};
use crate::aws::AwsError;
use crate::model::{EventTarget, SesEvents, SesSpec, SES_EVENT_TYPES};

/// The domain identity a MAIL FROM domain belongs to.
pub(super) fn mail_from_parent<'a>(spec: &'a SesSpec, mail_from: &str) -> Option<&'a str> {
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
pub fn assess(spec: &SesSpec, obs: &LiveSes, region: &str, volume: &Volume) -> Vec<Check> {
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
        if let (Some(events), Some(Ok(true))) = (&spec.events, &obs.configuration_set) {
            checks.push(event_destination_check(set, events, obs));
        }
    }
    checks.extend(account_checks(spec, obs, volume));
    checks.push(suppression_check(obs));
    checks
}

/// How bosun's event destination `live` differs from `[ses.events]`, or
/// `None` when it publishes at least SES_EVENT_TYPES where the stack says
/// (event types on top are fine).
pub(super) fn destination_difference(live: &EventDestination, want: &SesEvents) -> Option<String> {
    let mut diffs = Vec::new();
    if !live.enabled {
        diffs.push("disabled".to_string());
    }
    let missing: Vec<&str> = SES_EVENT_TYPES
        .iter()
        .copied()
        .filter(|t| !live.types.contains(*t))
        .collect();
    if !missing.is_empty() {
        diffs.push(format!("does not publish {}", missing.join(", ")));
    }
    match (&live.target, &want.target) {
        (
            DestinationTarget::CloudWatch(dims),
            EventTarget::CloudWatch {
                dimension,
                default_value,
            },
        ) => {
            if *dims != [CloudWatchDimension::from_message_tag(dimension, default_value)] {
                diffs.push(format!(
                    "its CloudWatch dimensions are not just {dimension} (message tag, default {default_value})"
                ));
            }
        }
        (DestinationTarget::Sns(arn), EventTarget::Sns { topic_arn }) if arn == topic_arn => {}
        (got, want) => diffs.push(format!("goes to {got}, not {want}")),
    }
    (!diffs.is_empty()).then(|| diffs.join("; "))
}

/// bosun's event destination in the configuration set (which exists).
/// Missing or different is a warning: mail is still sent and delivered,
/// only its bounces and complaints go unrecorded.
fn event_destination_check(set: &str, events: &SesEvents, obs: &LiveSes) -> Check {
    const CHECK: &str = "event_destination";
    let name = &events.name;
    let live = match &obs.event_destinations {
        Some(Ok(live)) => live,
        Some(Err(e)) => {
            let fix = if e.code.as_deref() == Some("LimitExceededException") {
                Some(format!(
                    "the set has as many event destinations as SES allows; delete one it no longer needs, then run `bosun verify-ses --create` to add {name}"
                ))
            } else {
                e.help.clone()
            };
            let c = Check::new(
                CHECK,
                set,
                Status::Fail,
                format!("{} failed: {}", e.operation, e.message),
            );
            return match fix {
                Some(f) => c.fix(f),
                None => c,
            };
        }
        None => return Check::new(CHECK, set, Status::Unknown, "not read"),
    };
    let fix = "run `bosun verify-ses --create`";
    let Some(d) = live.iter().find(|d| d.name == *name) else {
        let others: Vec<&str> = live.iter().map(|d| d.name.as_str()).collect();
        let others = if others.is_empty() {
            String::new()
        } else {
            format!(" (it has {})", others.join(", "))
        };
        return Check::new(
            CHECK,
            set,
            Status::Warn,
            format!("has no event destination named {name}{others}: bounces and complaints go unrecorded"),
        )
        .fix(fix);
    };
    if let Some(diff) = destination_difference(d, events) {
        return Check::new(
            CHECK,
            set,
            Status::Warn,
            format!("event destination {name} differs from [ses.events]: {diff}"),
        )
        .fix(fix);
    }
    // Display prints a fix even on a pass, so the SNS caveat is in the message.
    let caveat = match events.target {
        EventTarget::Sns { .. } => " (the topic's policy must allow ses.amazonaws.com sns:Publish)",
        EventTarget::CloudWatch { .. } => "",
    };
    Check::new(
        CHECK,
        set,
        Status::Pass,
        format!("{name}: {} → {}{caveat}", SES_EVENT_TYPES.join(", "), events.target),
    )
}

fn identity_checks(name: &str, obs: &LiveSes, region: &str) -> Vec<Check> {
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
        out.push(dkim_check(name, id, records));
    }
    out
}

fn mail_from_check(spec: &SesSpec, m: &str, obs: &LiveSes, region: &str) -> Check {
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
fn unverified_destinations(spec: &SesSpec, obs: &LiveSes) -> Vec<String> {
    spec.destinations()
        .into_iter()
        .filter(|d| {
            let ok = |n: &str| obs.identity(n).is_some_and(Identity::verified);
            !(ok(d) || ok(domain_of(d)))
        })
        .collect()
}

fn account_checks(spec: &SesSpec, obs: &LiveSes, volume: &Volume) -> Vec<Check> {
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
        Some(Err(e)) => return account_unknown(spec, obs, &e.message),
        None => return account_unknown(spec, obs, "not read"),
    };
    let mut out = vec![sending_check(acct), enforcement_check(acct)];
    if acct.production_access {
        out.push(Check::new(
            "account.production",
            "account",
            Status::Pass,
            "production access",
        ));
    } else {
        out.extend(sandbox_checks(spec, obs));
    }
    out.push(quota_check(acct, volume.daily(spec)));
    out.push(rate_check(spec, acct));
    out
}

/// The account could not be read: sending state, sandbox and quota are
/// unknown, and unverified recipients would be rejected in the sandbox.
fn account_unknown(spec: &SesSpec, obs: &LiveSes, why: &str) -> Vec<Check> {
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
    out
}

fn sending_check(acct: &Account) -> Check {
    if acct.sending_enabled {
        Check::new("account.sending", "account", Status::Pass, "sending enabled")
    } else {
        Check::new(
            "account.sending",
            "account",
            Status::Fail,
            "sending is disabled for this account and region",
        )
        .fix("SES paused sending; see the SES console's account dashboard and AWS support")
    }
}

fn enforcement_check(acct: &Account) -> Check {
    match acct.enforcement_status.as_deref() {
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
    }
}

/// In the sandbox SES delivers only to verified identities.
fn sandbox_checks(spec: &SesSpec, obs: &LiveSes) -> [Check; 2] {
    let sandbox = Check::new(
        "account.production",
        "account",
        Status::Warn,
        format!("sandbox: {SANDBOX_NOTE}"),
    )
    .fix("request production access in the SES console");
    let missing = unverified_destinations(spec, obs);
    let recipients = if missing.is_empty() {
        Check::new(
            "recipients",
            "all",
            Status::Pass,
            "every recipient and the audit BCC is a verified identity",
        )
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
    };
    [sandbox, recipients]
}

/// The expected daily volume against the 24-hour quota and what is left of it.
fn quota_check(acct: &Account, daily: f64) -> Check {
    if acct.max_24_hour_send < 0.0 {
        return Check::new(
            "quota",
            "account",
            Status::Pass,
            format!("{daily} a day expected; the quota is unlimited"),
        );
    }
    let remaining = (acct.max_24_hour_send - acct.sent_last_24_hours).max(0.0);
    if daily > acct.max_24_hour_send {
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
    }
}

/// The largest batch (with the audit BCC) against the sending rate.
fn rate_check(spec: &SesSpec, acct: &Account) -> Check {
    let bcc = usize::from(spec.audit_bcc.is_some());
    let burst = spec.recipients.values().map(|r| r.len() + bcc).max().unwrap_or(0) as f64;
    if burst > acct.max_send_rate {
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
    }
}

fn suppression_check(obs: &LiveSes) -> Check {
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

/// Easy DKIM on a domain identity: signing enabled and the CNAME records seen.
fn dkim_check(name: &str, id: &Identity, records: Vec<DnsRecord>) -> Check {
    match &id.dkim {
        Some(d) if !d.signing_enabled => Check::new("dkim", name, Status::Fail, "DKIM signing is disabled").fix(
            "enable Easy DKIM for the domain (SES console or PutEmailIdentityDkimAttributes) and publish the records",
        ),
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
    }
}
