//! SES readiness: what was read turns into the right checks.

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

fn observed(domain: Identity, account: Account) -> LiveSes {
    let mut o = LiveSes::default();
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
    assert_warning_only(checks);
}

/// A report with `checks` is ready (warnings do not fail), but not with
/// `--strict`, which fails on warnings.
fn assert_warning_only(checks: Vec<Check>) {
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

/// A spec with configuration set "reports" and the default `[ses.events]`.
fn spec_with_set() -> SesSpec {
    let mut s = spec();
    s.configuration_set = Some("reports".into());
    s.events = Some(crate::model::SesEvents {
        name: "bosun".into(),
        target: crate::model::EventTarget::CloudWatch {
            dimension: "stack".into(),
            default_value: "s".into(),
        },
    });
    s
}

/// The destination bosun writes for `spec_with_set`.
fn bosun_destination() -> crate::aws::ses::EventDestination {
    crate::aws::ses::EventDestination {
        name: "bosun".into(),
        enabled: true,
        types: crate::model::SES_EVENT_TYPES.iter().map(|t| t.to_string()).collect(),
        target: crate::aws::ses::DestinationTarget::CloudWatch(vec![
            crate::aws::ses::CloudWatchDimension::from_message_tag("stack", "s"),
        ]),
    }
}

fn with_destinations(live: Result<Vec<crate::aws::ses::EventDestination>, AwsError>) -> LiveSes {
    let mut o = observed(verified_domain(), production());
    o.configuration_set = Some(Ok(true));
    o.event_destinations = Some(live);
    o
}

#[test]
fn bosuns_event_destination_passes_when_it_matches() {
    let mut d = bosun_destination();
    // Event types on top of the four are fine.
    d.types.insert("OPEN".into());
    let checks = assess(
        &spec_with_set(),
        &with_destinations(Ok(vec![d])),
        "r",
        &Volume::default(),
    );
    let c = find(&checks, "event_destination");
    assert_eq!(c.status, Status::Pass, "{c:?}");
    assert_eq!(c.subject, "reports");
    assert_eq!(
        c.message,
        "bosun: SEND, BOUNCE, COMPLAINT, DELIVERY → CloudWatch (dimension stack)"
    );
    assert!(c.fix.is_none());
}

#[test]
fn a_set_without_bosuns_destination_warns_naming_the_others() {
    let mut other = bosun_destination();
    other.name = "archive".into();
    for live in [vec![], vec![other]] {
        let checks = assess(
            &spec_with_set(),
            &with_destinations(Ok(live.clone())),
            "r",
            &Volume::default(),
        );
        let c = find(&checks, "event_destination");
        assert_eq!(c.status, Status::Warn, "{live:?}");
        assert!(c.message.contains("has no event destination named bosun"), "{c:?}");
        assert_eq!(c.message.contains("(it has archive)"), !live.is_empty(), "{c:?}");
        assert_eq!(c.fix.as_deref(), Some("run `bosun verify-ses --create`"));
        assert_warning_only(checks);
    }
}

#[test]
fn a_different_destination_warns_naming_the_difference() {
    use crate::aws::ses::DestinationTarget;
    type Change = fn(&mut crate::aws::ses::EventDestination);
    let cases: [(Change, &str); 4] = [
        (|d| d.enabled = false, "disabled"),
        (
            |d| {
                d.types.remove("DELIVERY");
            },
            "does not publish DELIVERY",
        ),
        (
            |d| d.target = DestinationTarget::Sns("arn:aws:sns:us-west-2:123456789012:t".into()),
            "goes to SNS topic arn:aws:sns:us-west-2:123456789012:t, not CloudWatch (dimension stack)",
        ),
        (
            |d| {
                d.target = DestinationTarget::CloudWatch(vec![crate::aws::ses::CloudWatchDimension::from_message_tag(
                    "stack", "other",
                )])
            },
            "CloudWatch dimensions are not just stack (message tag, default s)",
        ),
    ];
    for (change, want) in cases {
        let mut d = bosun_destination();
        change(&mut d);
        let checks = assess(
            &spec_with_set(),
            &with_destinations(Ok(vec![d])),
            "r",
            &Volume::default(),
        );
        let c = find(&checks, "event_destination");
        assert_eq!(c.status, Status::Warn, "{want}");
        assert!(c.message.contains(want), "{want}: {c:?}");
    }
}

#[test]
fn an_sns_destination_states_the_topic_policy_it_needs() {
    let topic = "arn:aws:sns:us-west-2:123456789012:ses-events";
    let mut s = spec_with_set();
    s.events.as_mut().unwrap().target = crate::model::EventTarget::Sns {
        topic_arn: topic.into(),
    };
    let mut d = bosun_destination();
    d.target = crate::aws::ses::DestinationTarget::Sns(topic.into());
    let c = find(
        &assess(&s, &with_destinations(Ok(vec![d])), "r", &Volume::default()),
        "event_destination",
    )
    .clone();
    assert_eq!(c.status, Status::Pass);
    assert!(c.message.contains(&format!("SNS topic {topic}")), "{c:?}");
    assert!(c.message.contains("sns:Publish"), "{c:?}");
}

#[test]
fn an_unreadable_or_unwritable_destination_fails_never_passes() {
    let err = |operation, code: Option<&str>| AwsError {
        operation,
        resource: "reports".into(),
        message: format!("{}: no", code.unwrap_or("error")),
        code: code.map(str::to_string),
        help: None,
    };
    let c = find(
        &assess(
            &spec_with_set(),
            &with_destinations(Err(err("sesv2:GetConfigurationSetEventDestinations", None))),
            "r",
            &Volume::default(),
        ),
        "event_destination",
    )
    .clone();
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.message
            .starts_with("sesv2:GetConfigurationSetEventDestinations failed"),
        "{c:?}"
    );
    let c = find(
        &assess(
            &spec_with_set(),
            &with_destinations(Err(err(
                "sesv2:CreateConfigurationSetEventDestination",
                Some("LimitExceededException"),
            ))),
            "r",
            &Volume::default(),
        ),
        "event_destination",
    )
    .clone();
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.contains("LimitExceededException"), "{c:?}");
    assert!(c.fix.as_deref().unwrap().contains("delete one"), "{c:?}");
}

#[test]
fn no_destination_check_without_an_existing_set() {
    for set in [Some(Ok(false)), None] {
        let mut o = observed(verified_domain(), production());
        o.configuration_set = set;
        let checks = assess(&spec_with_set(), &o, "r", &Volume::default());
        assert!(!checks.iter().any(|c| c.check == "event_destination"), "{checks:#?}");
    }
    // Read but not yet: unknown, never pass.
    let mut o = observed(verified_domain(), production());
    o.configuration_set = Some(Ok(true));
    let checks = assess(&spec_with_set(), &o, "r", &Volume::default());
    assert_eq!(find(&checks, "event_destination").status, Status::Unknown);
}
