//! `bosun verify-ses` against the emulator, and the real-API paths the
//! emulator lacks (GetAccount, the suppression list, DKIM/MAIL FROM states)
//! through `aws-smithy-mocks`.

use serde_json::Value;

use crate::util::*;

fn check<'a>(result: &'a Value, name: &str) -> &'a Value {
    result["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {result}"))
}

fn ses_stack(sender: &str, extra: &str) -> TestStack {
    TestStack::new(
        &unique("ses"),
        &format!("[ses]\nsender = \"{sender}\"\n{extra}\n[ses.recipients]\ncsuite = [\"ceo@example.com\"]\n"),
    )
}

#[test]
fn a_missing_identity_fails_and_create_creates_it() {
    let sender = format!("{}@example.com", unique("reports"));
    let stack = ses_stack(&sender, "");

    let run = stack.bosun(&["verify-ses"]);
    assert_eq!(run.code, 1, "{run:?}");
    let r = run.result();
    assert_eq!(r["ready"], false);
    let c = check(&r, "identity");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["subject"], sender.as_str());
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("does not exist in SES (us-west-2)"),
        "{c}"
    );
    assert!(c["fix"].as_str().unwrap().contains("bosun verify-ses --create"), "{c}");

    let run = stack.bosun(&["verify-ses", "--create"]);
    assert_eq!(run.code, 0, "{run:?}");
    let r = run.result();
    assert_eq!(r["created"], serde_json::json!([format!("identity {sender}")]));
    assert_eq!(check(&r, "identity")["status"], "pass");

    // Once it exists, nothing more is created.
    let run = stack.bosun(&["verify-ses", "--create"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.result()["created"], serde_json::json!([]));
}

#[test]
fn an_unreadable_account_is_unknown_never_pass_and_strict_fails_on_it() {
    let sender = format!("{}@example.com", unique("reports"));
    let stack = ses_stack(&sender, "");
    assert_eq!(stack.bosun(&["verify-ses", "--create"]).code, 0);
    // GetAccount and the suppression list answer with an HTML 404 (an API
    // the endpoint lacks, or a proxy in the way).
    let proxy = faults::start(&emulator().endpoint, 0, 3);
    proxy.counts.refuse.lock().unwrap().extend([
        "GET /v2/email/account".to_string(),
        "GET /v2/email/suppression".to_string(),
    ]);
    let path = stack.path_str();
    let through = |extra: &[&str]| {
        let mut args = vec!["--stack", path.as_str(), "--output", "json", "verify-ses"];
        args.extend_from_slice(extra);
        bosun_at(&proxy.endpoint, &args)
    };

    let r = through(&[]).result();
    let account = check(&r, "account");
    assert_eq!(account["status"], "unknown", "{account}");
    assert!(account["message"].as_str().unwrap().contains("HTTP 404"), "{account}");
    // Not knowing whether the account is in the sandbox, unverified recipients are a warning.
    let recipients = check(&r, "recipients");
    assert_eq!(recipients["status"], "warn");
    assert_eq!(recipients["subject"], "ceo@example.com");
    assert_eq!(check(&r, "suppression")["status"], "unknown");
    assert_eq!(r["ready"], true);

    let run = through(&["--strict"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.result()["ready"], false);
}

#[test]
fn send_test_goes_through_the_mailbox_simulator() {
    let sender = format!("{}@example.com", unique("reports"));
    let stack = ses_stack(&sender, "");
    let run = stack.bosun(&["verify-ses", "--send-test"]);
    assert_eq!(run.code, 1, "unverified sender: {run:?}");
    let c = check(&run.result(), "send_test").clone();
    assert_eq!(c["status"], "fail", "{c}");
    assert!(c["message"].as_str().unwrap().contains("not verified"), "{c}");

    let run = stack.bosun(&["verify-ses", "--create", "--send-test"]);
    assert_eq!(run.code, 0, "{run:?}");
    let c = check(&run.result(), "send_test").clone();
    assert_eq!(c["status"], "pass", "{c}");
    assert_eq!(c["subject"], "success@simulator.amazonses.com");
}

#[test]
fn a_missing_configuration_set_fails_and_create_creates_it() {
    let sender = format!("{}@example.com", unique("reports"));
    let set = unique("reports-set");
    let stack = ses_stack(&sender, &format!("configuration_set = \"{set}\""));
    assert_eq!(stack.bosun(&["verify-ses", "--create"]).code, 0);
    // The identity was created above together with the set; drop only the set
    // by pointing at a fresh name.
    let other = unique("other-set");
    stack.write(&format!(
        "[ses]\nsender = \"{sender}\"\nconfiguration_set = \"{other}\"\n"
    ));
    let run = stack.bosun(&["verify-ses"]);
    assert_eq!(run.code, 1, "{run:?}");
    let c = check(&run.result(), "configuration_set").clone();
    assert_eq!(
        (c["status"].as_str(), c["message"].as_str()),
        (Some("fail"), Some("does not exist in SES"))
    );
    let run = stack.bosun(&["verify-ses", "--create"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(check(&run.result(), "configuration_set")["status"], "pass");
}

/// An SESv2 client on the emulator, to change what bosun finds.
async fn sesv2() -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(&sdk_config().await)
}

fn created(run: &Run) -> Vec<String> {
    serde_json::from_value(run.result()["created"].clone()).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn create_gives_the_configuration_set_its_event_destination_and_updates_only_a_different_one() {
    let ses = sesv2().await;
    let sender = format!("{}@example.com", unique("reports"));
    let set = unique("events-set");
    let stack = ses_stack(&sender, &format!("configuration_set = \"{set}\""));

    let first = stack.bosun(&["verify-ses", "--create"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(
        created(&first),
        [
            format!("identity {sender}"),
            format!("configuration set {set}"),
            format!("event destination bosun (cloudwatch) on configuration set {set}"),
        ]
    );
    let c = check(&first.result(), "event_destination").clone();
    assert_eq!(
        (c["status"].as_str(), c["subject"].as_str()),
        (Some("pass"), Some(set.as_str())),
        "{c}"
    );
    // What SES holds: the four event types, CloudWatch with the stack dimension.
    let live = ses
        .get_configuration_set_event_destinations()
        .configuration_set_name(&set)
        .send()
        .await
        .unwrap();
    let d = &live.event_destinations()[0];
    assert_eq!((d.name(), d.enabled()), ("bosun", true));
    let mut types: Vec<&str> = d.matching_event_types().iter().map(|t| t.as_str()).collect();
    types.sort_unstable();
    assert_eq!(types, ["BOUNCE", "COMPLAINT", "DELIVERY", "SEND"]);
    let dim = &d.cloud_watch_destination().unwrap().dimension_configurations()[0];
    assert_eq!(
        (
            dim.dimension_name(),
            dim.dimension_value_source().as_str(),
            dim.default_dimension_value()
        ),
        ("stack", "MESSAGE_TAG", stack.name.as_str())
    );

    // Again: nothing to write.
    let again = stack.bosun(&["verify-ses", "--create"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(created(&again).is_empty(), "{again:?}");
    assert_eq!(again.result()["calls"]["writes"], 0, "{:?}", again.write_calls());
    assert_eq!(check(&again.result(), "event_destination")["status"], "pass");

    // The stack now wants SNS: one update of bosun's destination.
    let topic = "arn:aws:sns:us-west-2:123456789012:ses-events";
    stack.write(&format!(
        "[ses]\nsender = \"{sender}\"\nconfiguration_set = \"{set}\"\n[ses.events]\ndestination = \"sns\"\ntopic_arn = \"{topic}\"\n"
    ));
    let switched = stack.bosun(&["verify-ses", "--create"]);
    assert_eq!(switched.code, 0, "{switched:?}");
    assert_eq!(
        created(&switched),
        [format!(
            "updated event destination bosun on configuration set {set}: goes to CloudWatch (dimension stack), not SNS topic {topic}"
        )]
    );
    assert_eq!(switched.write_calls(), ["SESv2:UpdateConfigurationSetEventDestination"]);
    let c = check(&switched.result(), "event_destination").clone();
    assert!(
        c["message"].as_str().unwrap().contains(&format!("SNS topic {topic}")),
        "{c}"
    );

    // Deleted behind bosun's back: the plain check warns (ready, but not --strict).
    ses.delete_configuration_set_event_destination()
        .configuration_set_name(&set)
        .event_destination_name("bosun")
        .send()
        .await
        .unwrap();
    let plain = stack.bosun(&["verify-ses"]);
    assert_eq!(plain.code, 0, "{plain:?}");
    let c = check(&plain.result(), "event_destination").clone();
    assert_eq!(c["status"], "warn", "{c}");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("has no event destination named bosun"),
        "{c}"
    );
    assert_eq!(c["fix"], "run `bosun verify-ses --create`");
    assert_eq!(plain.result()["calls"]["writes"], 0);
    assert_eq!(stack.bosun(&["verify-ses", "--strict"]).code, 1);

    assert_policy_covers(&stack.path_str(), &[&first, &again, &switched, &plain]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_set_with_the_most_destinations_ses_allows_fails_naming_the_limit() {
    let ses = sesv2().await;
    let sender = format!("{}@example.com", unique("reports"));
    let set = unique("full-set");
    ses.create_configuration_set()
        .configuration_set_name(&set)
        .send()
        .await
        .unwrap();
    for i in 0..10 {
        ses.create_configuration_set_event_destination()
            .configuration_set_name(&set)
            .event_destination_name(format!("other-{i}"))
            .event_destination(
                aws_sdk_sesv2::types::EventDestinationDefinition::builder()
                    .enabled(true)
                    .matching_event_types(aws_sdk_sesv2::types::EventType::Open)
                    .sns_destination(
                        aws_sdk_sesv2::types::SnsDestination::builder()
                            .topic_arn("arn:aws:sns:us-west-2:123456789012:other")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let stack = ses_stack(&sender, &format!("configuration_set = \"{set}\""));
    let run = stack.bosun(&["verify-ses", "--create"]);
    assert_eq!(run.code, 1, "{run:?}");
    let c = check(&run.result(), "event_destination").clone();
    assert_eq!(c["status"], "fail", "{c}");
    assert!(c["message"].as_str().unwrap().contains("LimitExceededException"), "{c}");
    assert!(c["fix"].as_str().unwrap().contains("delete one"), "{c}");
    assert!(
        !created(&run).iter().any(|c| c.contains("event destination")),
        "{run:?}"
    );
}

#[test]
fn text_output_is_one_line_per_check_with_a_summary() {
    let sender = format!("{}@example.com", unique("reports"));
    let stack = ses_stack(&sender, "");
    let path = stack.path_str();
    let run = bosun(&["--stack", &path, "verify-ses"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains(&format!("FAIL    identity            {sender}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("fix: run `bosun verify-ses --create`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .trim_end()
            .ends_with("5 passed, 0 warning(s), 1 unknown, 1 failed: NOT READY"),
        "{}",
        run.stdout
    );
    // Not a terminal: no colour codes.
    assert!(!run.stdout.contains('\u{1b}'), "{}", run.stdout);
}

#[test]
fn a_stack_without_ses_is_bad_input() {
    let stack = TestStack::new(&unique("noses"), "");
    let run = stack.bosun(&["verify-ses"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.result()["message"]
        .as_str()
        .unwrap()
        .contains("has no [ses] section"));
}

/// The real SESv2 answers the emulator lacks, each mapped to its check and
/// the command's exit code.
mod mocked {
    use aws_sdk_sesv2::operation::create_configuration_set_event_destination::{
        CreateConfigurationSetEventDestinationError, CreateConfigurationSetEventDestinationOutput,
    };
    use aws_sdk_sesv2::operation::get_account::GetAccountOutput;
    use aws_sdk_sesv2::operation::get_configuration_set_event_destinations::GetConfigurationSetEventDestinationsOutput;
    use aws_sdk_sesv2::operation::get_email_identity::{GetEmailIdentityError, GetEmailIdentityOutput};
    use aws_sdk_sesv2::operation::list_configuration_sets::ListConfigurationSetsOutput;
    use aws_sdk_sesv2::operation::list_suppressed_destinations::ListSuppressedDestinationsOutput;
    use aws_sdk_sesv2::operation::update_configuration_set_event_destination::UpdateConfigurationSetEventDestinationOutput;
    use aws_sdk_sesv2::types::error::{LimitExceededException, NotFoundException};
    use aws_sdk_sesv2::types::{
        CloudWatchDestination, CloudWatchDimensionConfiguration, DimensionValueSource, DkimAttributes, DkimStatus,
        EventDestination, EventDestinationDefinition, EventType, IdentityType, MailFromAttributes,
        MailFromDomainStatus, SendQuota, SuppressedDestinationSummary, SuppressionListReason, VerificationStatus,
    };
    use aws_sdk_sesv2::Client;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use bosun::cli::Failure;
    use bosun::model::{EventTarget, SesEvents, SesSpec};
    use bosun::ses::{self, Check, Report, Status, Volume};

    fn spec() -> SesSpec {
        let mut s = SesSpec::sender_only("reports@example.com");
        s.identities = vec!["example.com".into()];
        s.audit_bcc = Some("audit@example.org".into());
        s.mail_from_domain = Some("mail.example.com".into());
        s.recipients.insert("csuite".into(), vec!["ceo@example.com".into()]);
        s
    }

    fn domain(dkim: DkimStatus, mail_from: MailFromDomainStatus) -> GetEmailIdentityOutput {
        GetEmailIdentityOutput::builder()
            .identity_type(IdentityType::Domain)
            .verified_for_sending_status(true)
            .verification_status(VerificationStatus::Success)
            .dkim_attributes(
                DkimAttributes::builder()
                    .signing_enabled(true)
                    .status(dkim)
                    .tokens("tok1")
                    .tokens("tok2")
                    .build(),
            )
            .mail_from_attributes(
                MailFromAttributes::builder()
                    .mail_from_domain("mail.example.com")
                    .mail_from_domain_status(mail_from)
                    .behavior_on_mx_failure(aws_sdk_sesv2::types::BehaviorOnMxFailure::UseDefaultValue)
                    .build()
                    .unwrap(),
            )
            .build()
    }

    fn account(production: bool, sending: bool, enforcement: &'static str) -> GetAccountOutput {
        GetAccountOutput::builder()
            .production_access_enabled(production)
            .sending_enabled(sending)
            .enforcement_status(enforcement)
            .send_quota(
                SendQuota::builder()
                    .max24_hour_send(if production { 50_000.0 } else { 200.0 })
                    .max_send_rate(if production { 14.0 } else { 1.0 })
                    .sent_last24_hours(3.0)
                    .build(),
            )
            .build()
    }

    /// Runs observe + assess against a mocked SES where `example.com` has
    /// the given DKIM/MAIL FROM state, other identities do not exist, and
    /// `suppressed` is on the suppression list.
    async fn verify(
        dkim: DkimStatus,
        mail_from: MailFromDomainStatus,
        acct: GetAccountOutput,
        suppressed: Option<&'static str>,
    ) -> Report {
        let rules = ses_rules(dkim, mail_from, acct, suppressed);
        let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, &rules);
        let s = spec();
        let observed = ses::observe(&client, &s, false).await;
        let checks = ses::assess(&s, &observed, "us-west-2", &Volume::default());
        Report::new("mocked", "us-west-2", checks, observed.created, false, 0.0)
    }

    /// The identity, account and suppression-list answers `verify` describes.
    fn ses_rules(
        dkim: DkimStatus,
        mail_from: MailFromDomainStatus,
        acct: GetAccountOutput,
        suppressed: Option<&'static str>,
    ) -> Vec<Rule> {
        let identity = mock!(Client::get_email_identity)
            .match_requests(|r| r.email_identity() == Some("example.com"))
            .then_output(move || domain(dkim.clone(), mail_from.clone()));
        let no_identity = mock!(Client::get_email_identity).then_error(|| {
            GetEmailIdentityError::NotFoundException(NotFoundException::builder().message("not found").build())
        });
        let get_account = mock!(Client::get_account).then_output(move || acct.clone());
        // ListSuppressedDestinations: one page with the suppressed address, if any.
        let list = mock!(Client::list_suppressed_destinations).then_output(move || {
            let mut out = ListSuppressedDestinationsOutput::builder();
            if let Some(address) = suppressed {
                out = out.suppressed_destination_summaries(
                    SuppressedDestinationSummary::builder()
                        .email_address(address)
                        .reason(SuppressionListReason::Bounce)
                        .last_update_time(aws_smithy_types::DateTime::from_secs(0))
                        .build()
                        .unwrap(),
                );
            }
            out.build()
        });
        vec![identity, no_identity, get_account, list]
    }

    fn find<'a>(r: &'a Report, name: &str) -> &'a Check {
        r.checks
            .iter()
            .find(|c| c.check == name)
            .unwrap_or_else(|| panic!("no {name}: {r:#?}"))
    }

    fn exit_code(r: &Report) -> u8 {
        if r.ready {
            0
        } else {
            Failure::SesNotReady.exit_code()
        }
    }

    #[tokio::test]
    async fn production_account_with_verified_domain_is_ready() {
        let r = verify(
            DkimStatus::Success,
            MailFromDomainStatus::Success,
            account(true, true, "HEALTHY"),
            None,
        )
        .await;
        assert!(r.checks.iter().all(|c| c.status == Status::Pass), "{r:#?}");
        assert_eq!(exit_code(&r), 0);
        assert_eq!(find(&r, "account.production").message, "production access");
    }

    #[tokio::test]
    async fn sandbox_fails_naming_unverified_recipients_and_the_audit_bcc() {
        let r = verify(
            DkimStatus::Success,
            MailFromDomainStatus::Success,
            account(false, true, "HEALTHY"),
            None,
        )
        .await;
        assert_eq!(find(&r, "account.production").status, Status::Warn);
        let c = find(&r, "recipients");
        assert_eq!(c.status, Status::Fail);
        // ceo@example.com is covered by the verified domain; the audit BCC on example.org is not.
        assert_eq!(c.subject, "audit@example.org");
        assert!(c.message.contains("in the sandbox SES rejects mail to them"), "{c:?}");
        assert_eq!(exit_code(&r), 1);
    }

    #[tokio::test]
    async fn disabled_sending_fails() {
        let r = verify(
            DkimStatus::Success,
            MailFromDomainStatus::Success,
            account(true, false, "HEALTHY"),
            None,
        )
        .await;
        let c = find(&r, "account.sending");
        assert_eq!(
            (c.status, c.message.as_str()),
            (Status::Fail, "sending is disabled for this account and region")
        );
        assert_eq!(exit_code(&r), 1);
    }

    #[tokio::test]
    async fn probation_warns_and_shutdown_fails() {
        let r = verify(
            DkimStatus::Success,
            MailFromDomainStatus::Success,
            account(true, true, "PROBATION"),
            None,
        )
        .await;
        let c = find(&r, "account.enforcement");
        assert_eq!(c.status, Status::Warn);
        assert!(c.message.contains("probation"));
        assert_eq!(exit_code(&r), 0, "a warning alone does not fail");
        let r = verify(
            DkimStatus::Success,
            MailFromDomainStatus::Success,
            account(true, true, "SHUTDOWN"),
            None,
        )
        .await;
        assert_eq!(find(&r, "account.enforcement").status, Status::Fail);
        assert_eq!(exit_code(&r), 1);
    }

    #[tokio::test]
    async fn pending_dkim_and_mail_from_warn_with_the_records() {
        let r = verify(
            DkimStatus::Pending,
            MailFromDomainStatus::Pending,
            account(true, true, "HEALTHY"),
            None,
        )
        .await;
        let dkim = find(&r, "dkim");
        assert_eq!(dkim.status, Status::Warn);
        assert_eq!(dkim.records.len(), 2);
        assert_eq!(
            dkim.records[1].to_string(),
            "tok2._domainkey.example.com  CNAME  tok2.dkim.amazonses.com"
        );
        let mf = find(&r, "mail_from");
        assert_eq!(mf.status, Status::Warn);
        assert_eq!(
            mf.records[0].to_string(),
            "mail.example.com  MX  10 feedback-smtp.us-west-2.amazonses.com"
        );
        assert_eq!(exit_code(&r), 0);
    }

    #[tokio::test]
    async fn failed_dkim_and_mail_from_fail() {
        let r = verify(
            DkimStatus::Failed,
            MailFromDomainStatus::Failed,
            account(true, true, "HEALTHY"),
            None,
        )
        .await;
        assert_eq!(find(&r, "dkim").message, "DKIM status FAILED");
        assert_eq!(find(&r, "mail_from").message, "MAIL FROM status FAILED");
        assert_eq!(exit_code(&r), 1);
    }

    #[tokio::test]
    async fn a_suppressed_recipient_fails() {
        let r = verify(
            DkimStatus::Success,
            MailFromDomainStatus::Success,
            account(true, true, "HEALTHY"),
            Some("ceo@example.com"),
        )
        .await;
        let c = find(&r, "suppression");
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.subject, "ceo@example.com (BOUNCE)");
        assert!(c.message.contains("drops mail to them silently"));
        assert_eq!(exit_code(&r), 1);
    }

    /// `spec()` with configuration set "reports" and the default `[ses.events]`.
    fn events_spec() -> SesSpec {
        let mut s = spec();
        s.configuration_set = Some("reports".into());
        s.events = Some(SesEvents {
            name: "bosun".into(),
            target: EventTarget::CloudWatch {
                dimension: "stack".into(),
                default_value: "mocked".into(),
            },
        });
        s
    }

    const FOUR: [EventType; 4] = [
        EventType::Send,
        EventType::Bounce,
        EventType::Complaint,
        EventType::Delivery,
    ];

    /// bosun's destination as GetConfigurationSetEventDestinations describes it.
    fn bosuns(enabled: bool, types: &[EventType]) -> EventDestination {
        let dimension = CloudWatchDimensionConfiguration::builder()
            .dimension_name("stack")
            .dimension_value_source(DimensionValueSource::MessageTag)
            .default_dimension_value("mocked")
            .build()
            .unwrap();
        let mut d = EventDestination::builder()
            .name("bosun")
            .enabled(enabled)
            .cloud_watch_destination(
                CloudWatchDestination::builder()
                    .dimension_configurations(dimension)
                    .build()
                    .unwrap(),
            );
        for t in types {
            d = d.matching_event_types(t.clone());
        }
        d.build().unwrap()
    }

    fn listing(destinations: &[EventDestination]) -> GetConfigurationSetEventDestinationsOutput {
        GetConfigurationSetEventDestinationsOutput::builder()
            .set_event_destinations(Some(destinations.to_vec()))
            .build()
    }

    /// GetConfigurationSetEventDestinations: `before` until bosun writes, then `after`.
    fn reads(before: Vec<EventDestination>, after: Vec<EventDestination>) -> Rule {
        mock!(Client::get_configuration_set_event_destinations)
            .match_requests(|r| r.configuration_set_name() == Some("reports"))
            .sequence()
            .output(move || listing(&before))
            .output(move || listing(&after))
            .repeatedly()
            .build()
    }

    /// The definition bosun writes for `events_spec()`: enabled, the four
    /// event types, CloudWatch with the stack dimension, nothing else.
    fn is_bosuns(d: Option<&EventDestinationDefinition>) -> bool {
        let Some(d) = d else { return false };
        let dims = d.cloud_watch_destination().map(|c| c.dimension_configurations());
        let mut types: Vec<&str> = d.matching_event_types().iter().map(|t| t.as_str()).collect();
        types.sort_unstable();
        d.enabled()
            && types == ["BOUNCE", "COMPLAINT", "DELIVERY", "SEND"]
            && d.sns_destination().is_none()
            && dims.is_some_and(|dims| {
                dims.len() == 1
                    && dims[0].dimension_name() == "stack"
                    && dims[0].dimension_value_source() == &DimensionValueSource::MessageTag
                    && dims[0].default_dimension_value() == "mocked"
            })
    }

    fn any_create() -> Rule {
        mock!(Client::create_configuration_set_event_destination)
            .then_output(|| CreateConfigurationSetEventDestinationOutput::builder().build())
    }

    fn any_update() -> Rule {
        mock!(Client::update_configuration_set_event_destination)
            .then_output(|| UpdateConfigurationSetEventDestinationOutput::builder().build())
    }

    /// `verify-ses --create` against a production account whose configuration
    /// set "reports" exists; `events` answers the destination reads, `writes`
    /// the creates and updates.
    async fn create_events(events: &Rule, writes: &[&Rule]) -> Report {
        let base = ses_rules(
            DkimStatus::Success,
            MailFromDomainStatus::Success,
            account(true, true, "HEALTHY"),
            None,
        );
        let sets = mock!(Client::list_configuration_sets).then_output(|| {
            ListConfigurationSetsOutput::builder()
                .configuration_sets("reports")
                .build()
        });
        let mut rules: Vec<&Rule> = base.iter().collect();
        rules.push(&sets);
        rules.push(events);
        rules.extend_from_slice(writes);
        let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, &rules);
        let s = events_spec();
        let observed = ses::observe(&client, &s, true).await;
        let checks = ses::assess(&s, &observed, "us-west-2", &Volume::default());
        Report::new("mocked", "us-west-2", checks, observed.created, false, 0.0)
    }

    #[tokio::test]
    async fn create_adds_bosuns_destination_with_the_stacks_definition() {
        let create = mock!(Client::create_configuration_set_event_destination)
            .match_requests(|r| {
                r.configuration_set_name() == Some("reports")
                    && r.event_destination_name() == Some("bosun")
                    && is_bosuns(r.event_destination())
            })
            .then_output(|| CreateConfigurationSetEventDestinationOutput::builder().build());
        let update = any_update();
        let events = reads(vec![], vec![bosuns(true, &FOUR)]);
        let r = create_events(&events, &[&create, &update]).await;
        assert_eq!((create.num_calls(), update.num_calls()), (1, 0));
        assert_eq!(
            r.created,
            ["event destination bosun (cloudwatch) on configuration set reports"]
        );
        let c = find(&r, "event_destination");
        assert_eq!(c.status, Status::Pass, "{c:?}");
        assert_eq!(exit_code(&r), 0);
    }

    #[tokio::test]
    async fn nothing_is_written_when_bosuns_destination_matches() {
        let (create, update) = (any_create(), any_update());
        let mut with_open = FOUR.to_vec();
        with_open.push(EventType::Open);
        let events = reads(vec![bosuns(true, &with_open)], vec![]);
        let r = create_events(&events, &[&create, &update]).await;
        assert_eq!((create.num_calls(), update.num_calls()), (0, 0));
        assert_eq!(events.num_calls(), 1, "read once, not again");
        assert!(r.created.is_empty(), "{r:#?}");
        assert_eq!(find(&r, "event_destination").status, Status::Pass);
    }

    #[tokio::test]
    async fn a_disabled_or_incomplete_destination_is_updated_in_place() {
        let create = any_create();
        let update = mock!(Client::update_configuration_set_event_destination)
            .match_requests(|r| {
                r.configuration_set_name() == Some("reports")
                    && r.event_destination_name() == Some("bosun")
                    && is_bosuns(r.event_destination())
            })
            .then_output(|| UpdateConfigurationSetEventDestinationOutput::builder().build());
        let events = reads(vec![bosuns(false, &FOUR[..3])], vec![bosuns(true, &FOUR)]);
        let r = create_events(&events, &[&create, &update]).await;
        assert_eq!((create.num_calls(), update.num_calls()), (0, 1));
        assert_eq!(
            r.created,
            ["updated event destination bosun on configuration set reports: disabled; does not publish DELIVERY"]
        );
        assert_eq!(find(&r, "event_destination").status, Status::Pass);
    }

    #[tokio::test]
    async fn a_set_at_its_destination_limit_fails() {
        let create = mock!(Client::create_configuration_set_event_destination).then_error(|| {
            CreateConfigurationSetEventDestinationError::LimitExceededException(
                LimitExceededException::builder()
                    .message("Maximum number of event destinations exceeded.")
                    .meta(
                        aws_smithy_types::error::ErrorMetadata::builder()
                            .code("LimitExceededException")
                            .message("Maximum number of event destinations exceeded.")
                            .build(),
                    )
                    .build(),
            )
        });
        let update = any_update();
        let events = reads(vec![], vec![]);
        let r = create_events(&events, &[&create, &update]).await;
        // The SDK retries LimitExceededException (it counts as throttling);
        // every attempt fails the same way.
        assert!(create.num_calls() >= 1);
        assert_eq!(update.num_calls(), 0);
        let c = find(&r, "event_destination");
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(c.message.contains("LimitExceededException"), "{c:?}");
        assert!(c.fix.as_deref().unwrap().contains("delete one"), "{c:?}");
        assert!(r.created.is_empty());
        assert_eq!(exit_code(&r), 1);
    }

    #[tokio::test]
    async fn an_unreadable_destination_list_fails_and_nothing_is_written() {
        let (create, update) = (any_create(), any_update());
        let events = mock!(Client::get_configuration_set_event_destinations).then_http_response(|| {
            HttpResponse::new(
                StatusCode::try_from(500).unwrap(),
                SdkBody::from("<html>Internal Server Error</html>"),
            )
        });
        let r = create_events(&events, &[&create, &update]).await;
        assert_eq!((create.num_calls(), update.num_calls()), (0, 0));
        let c = find(&r, "event_destination");
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(
            c.message
                .starts_with("sesv2:GetConfigurationSetEventDestinations failed"),
            "{c:?}"
        );
        assert_eq!(exit_code(&r), 1);
    }
}
