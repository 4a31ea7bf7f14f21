//! Stack-file validation: defaults, every problem at once, AWS's naming rules.

use super::rules::*;
use super::*;
use crate::model::{Arch, Runtime, UrlAuth, UrlSpec};

fn parse_str(text: &str) -> Result<Desired, StackError> {
    parse(Path::new("/tmp/s.toml"), text)
}

#[test]
fn defaults_fill_in_what_the_file_leaves_out() {
    let d = parse_str("[stack]\nname = \"s\"\n[functions.f]\nbinary = \"/bin/sh\"\n").unwrap();
    let f = &d.functions[0];
    assert_eq!(f.name, "s-f");
    assert_eq!(f.alias, "live");
    assert_eq!((f.memory, f.timeout), (128, 30));
    assert_eq!(f.runtime, Runtime::ProvidedAl2023);
    assert_eq!(f.arch, Arch::X86_64);
    assert!(f.url.is_none());
}

#[test]
fn url_without_auth_defaults_to_iam() {
    let d = parse_str("[stack]\nname = \"s\"\n[functions.f]\nbinary = \"/bin/sh\"\n[functions.f.url]\n").unwrap();
    assert_eq!(d.functions[0].url, Some(UrlSpec { auth: UrlAuth::AwsIam }));
}

#[test]
fn every_problem_is_reported_sorted_by_position() {
    let err = parse_str("[stack]\nname = \"Bad Name\"\nregion = \"mars\"\nextra = 1\n").unwrap_err();
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["stack.name", "stack.region", "stack.extra"]);
    assert_eq!(err.problems[0].line, 2);
    assert_eq!(err.problems[0].column, 8);
}

#[test]
fn ses_section_is_parsed_with_defaults() {
    let d = parse_str(
        "[stack]\nname = \"s\"\n[ses]\nsender = \"reports@example.com\"\naudit_bcc = \"audit@example.com\"\n\
         [ses.recipients]\ncsuite = [\"ceo@example.com\", \"cfo@example.com\"]\n",
    )
    .unwrap();
    let ses = d.ses.unwrap();
    assert_eq!(
        ses.identities,
        ["reports@example.com"],
        "the sender is the default identity"
    );
    assert_eq!(ses.recipients["csuite"].len(), 2);
    assert_eq!(
        ses.destinations(),
        ["ceo@example.com", "cfo@example.com", "audit@example.com"]
    );
}

#[test]
fn ses_problems_name_their_keys() {
    let err = parse_str(
        "[stack]\nname = \"s\"\n[ses]\nsender = \"reports@example.com\"\nidentities = [\"example.org\"]\n\
         audit_bcc = \"not-an-address\"\nmail_from_domain = \"mail.example.net\"\nbcc = 1\n\
         [ses.recipients]\ncsuite = [\"ceo@example.com\", \"nobody\"]\nempty = []\n",
    )
    .unwrap_err();
    let got: Vec<(usize, &str)> = err.problems.iter().map(|p| (p.line, p.key.as_str())).collect();
    assert_eq!(
        got,
        [
            (5, "ses.identities"),
            (6, "ses.audit_bcc"),
            (7, "ses.mail_from_domain"),
            (8, "ses.bcc"),
            (10, "ses.recipients.csuite[1]"),
            (11, "ses.recipients.empty"),
        ],
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("no identity covers the sender `reports@example.com`"),
        "{err}"
    );
    assert!(err.to_string().contains("did you mean `audit_bcc`?") || err.to_string().contains("allowed keys"));
}

#[test]
fn a_configuration_set_gets_a_cloudwatch_event_destination_by_default() {
    use crate::model::{EventTarget, SesEvents};
    let base = "[stack]\nname = \"s\"\n[ses]\nsender = \"reports@example.com\"\n";
    let d = parse_str(base).unwrap();
    assert_eq!(d.ses.unwrap().events, None, "no set, no destination");
    let d = parse_str(&format!("{base}configuration_set = \"reports\"\n")).unwrap();
    assert_eq!(
        d.ses.unwrap().events,
        Some(SesEvents {
            name: "bosun".into(),
            target: EventTarget::CloudWatch {
                dimension: "stack".into(),
                default_value: "s".into()
            }
        })
    );
    let d = parse_str(&format!(
        "{base}configuration_set = \"reports\"\n[ses.events]\ndestination = \"sns\"\n\
         topic_arn = \"arn:aws:sns:us-west-2:123456789012:ses-events\"\nname = \"mail-events\"\n"
    ))
    .unwrap();
    assert_eq!(
        d.ses.unwrap().events,
        Some(SesEvents {
            name: "mail-events".into(),
            target: EventTarget::Sns {
                topic_arn: "arn:aws:sns:us-west-2:123456789012:ses-events".into()
            }
        })
    );
}

#[test]
fn ses_events_problems_name_their_keys() {
    let base = "[stack]\nname = \"s\"\n[ses]\nsender = \"reports@example.com\"\nconfiguration_set = \"reports\"\n";
    let problems = |events: &str| {
        let err = parse_str(&format!("{base}[ses.events]\n{events}")).unwrap_err();
        err.problems
            .iter()
            .map(|p| {
                (
                    p.line,
                    p.key.clone(),
                    p.message.clone(),
                    p.help.clone().unwrap_or_default(),
                )
            })
            .collect::<Vec<_>>()
    };
    // An unknown key, with the closest allowed one.
    let got = problems("topic-arn = \"x\"\n");
    assert_eq!((got[0].0, got[0].1.as_str()), (7, "ses.events.topic-arn"), "{got:?}");
    assert!(got[0].3.contains("did you mean `topic_arn`?"), "{got:?}");
    // SNS without a topic; a topic for CloudWatch; a bad destination; a bad name.
    let got = problems("destination = \"sns\"\n");
    assert_eq!(got[0].1, "ses.events.topic_arn", "{got:?}");
    assert!(got[0].2.contains("missing required key"), "{got:?}");
    let got = problems("topic_arn = \"arn:aws:sns:us-west-2:123456789012:t\"\n");
    assert_eq!((got[0].0, got[0].1.as_str()), (7, "ses.events.topic_arn"), "{got:?}");
    assert!(got[0].3.contains("destination = \"sns\""), "{got:?}");
    let got = problems("destination = \"kinesis\"\nname = \"not ok\"\n");
    let keys: Vec<(usize, &str)> = got.iter().map(|p| (p.0, p.1.as_str())).collect();
    assert_eq!(keys, [(7, "ses.events.destination"), (8, "ses.events.name")], "{got:?}");
    // Topics SES cannot publish to.
    for (arn, why) in [
        ("arn:aws:sns:us-west-2:123456789012:events.fifo", "FIFO topic"),
        ("arn:aws:sqs:us-west-2:123456789012:q", "is not an SNS topic ARN"),
        ("arn:aws:sns:us-west-2:1234:t", "is not an SNS topic ARN"),
        ("arn:aws:sns:us-west-2:123456789012:a b", "is not an SNS topic name"),
    ] {
        let got = problems(&format!("destination = \"sns\"\ntopic_arn = \"{arn}\"\n"));
        assert_eq!(
            (got[0].0, got[0].1.as_str()),
            (8, "ses.events.topic_arn"),
            "{arn}: {got:?}"
        );
        assert!(got[0].2.contains(why), "{arn}: {got:?}");
    }
    // Events without a configuration set to publish through (the table's
    // own problems are reported too).
    let err = parse_str(
        "[stack]\nname = \"s\"\n[ses]\nsender = \"reports@example.com\"\n[ses.events]\ndestination = \"cloudwatch\"\nnmae = \"x\"\n",
    )
    .unwrap_err();
    let keys: Vec<(usize, &str)> = err.problems.iter().map(|p| (p.line, p.key.as_str())).collect();
    assert_eq!(keys, [(5, "ses.events"), (7, "ses.events.nmae")], "{err}");
    assert!(
        err.problems[0]
            .help
            .as_deref()
            .unwrap()
            .contains("add configuration_set"),
        "{err}"
    );
}

#[test]
fn secrets_are_names_listed_once() {
    let ok =
        parse_str("[stack]\nname = \"s\"\n[functions.f]\nbinary = \"/bin/sh\"\nsecrets = [\"jwt\", \"api-key\"]\n")
            .unwrap();
    let f = &ok.functions[0];
    assert_eq!(f.secrets, ["jwt", "api-key"]);
    assert_eq!(f.secret_parameter("s", "jwt"), "/s/f/jwt");
    let env = f.bosun_environment(&ok, "bucket");
    assert_eq!(
        env.get("BOSUN_SECRET_API_KEY").map(String::as_str),
        Some("/s/f/api-key")
    );
    let err = parse_str(
        "[stack]\nname = \"s\"\n[functions.f]\nbinary = \"/bin/sh\"\nsecrets = [\"jwt\", \"a b\"]\n\
         [functions.g]\nbinary = \"/bin/sh\"\nsecrets = [\"k\", \"K\"]\n[functions.h]\nbinary = \"/bin/sh\"\nsecrets = \"jwt\"\n",
    )
    .unwrap_err();
    let got: Vec<(usize, &str)> = err.problems.iter().map(|p| (p.line, p.key.as_str())).collect();
    assert_eq!(
        got,
        [
            (5, "functions.f.secrets[1]"),
            (8, "functions.g.secrets"),
            (11, "functions.h.secrets")
        ],
        "{err}"
    );
    assert!(err.to_string().contains("listed twice"), "{err}");
}

#[test]
fn missing_stack_table_is_reported() {
    let err = parse_str("[functions.f]\nbinary = \"/bin/sh\"\n").unwrap_err();
    assert!(err
        .problems
        .iter()
        .any(|p| p.key == "stack" && p.message.contains("missing")));
}

#[test]
fn duplicate_function_names_are_rejected() {
    let err = parse_str(
        "[stack]\nname = \"s\"\n[functions.a]\nbinary = \"/bin/sh\"\nname = \"x\"\n\
         [functions.b]\nbinary = \"/bin/sh\"\nname = \"x\"\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("used by more than one function"), "{err}");
}

#[test]
fn line_and_column_count_characters() {
    assert_eq!(line_col("ab\ncdé\nf", 0), (1, 1));
    assert_eq!(line_col("ab\ncdé\nf", 3), (2, 1));
    assert_eq!(line_col("ab\ncdé\nf", 7), (2, 4));
    assert_eq!(line_col("ab\ncdé\nf", 8), (3, 1));
}

#[test]
fn names_follow_aws_rules() {
    assert!(valid_function_name("queenofsandiego-exec-reports"));
    assert!(!valid_function_name(&"x".repeat(65)));
    assert!(!valid_alias("123"));
    assert!(valid_alias("live"));
    assert!(valid_sender("reports@example.com"));
    assert!(valid_sender("example.com"));
    assert!(!valid_sender("reports@"));
    assert!(valid_region("us-west-2"));
    assert!(!valid_region("uswest2"));
}

#[test]
fn an_apis_headers_are_checked_where_they_are_written() {
    let stack = |headers: &str| {
        format!(
            "[stack]\nname = \"s\"\n[functions.api]\nbinary = \"/bin/sh\"\nurl = {{ auth = \"aws-iam\" }}\n\
             [frontends.web]\ndir = \"/tmp\"\nbucket = \"b-site\"\ndistribution = \"managed\"\n\
             api = {{ function = \"api\", headers = {headers} }}\n"
        )
    };
    // Lower-cased, sorted, the ones bosun always forwards left out.
    let d = parse_str(&stack("[\"X-Session-Token\", \"content-type\", \"Idempotency-Key\"]")).unwrap();
    let api = d.frontends[0].api.as_ref().unwrap();
    assert_eq!(
        api.headers.as_deref(),
        Some(&["idempotency-key".to_string(), "x-session-token".to_string()][..])
    );
    // Authorization is overwritten by the origin access control; Host and
    // CloudFront's own are not the viewer's to send.
    for refused in ["Authorization", "host", "CloudFront-Viewer-Address", "Accept-Encoding"] {
        let err = parse_str(&stack(&format!("[\"{refused}\"]"))).unwrap_err();
        assert_eq!(err.problems[0].key, "frontends.web.api.headers", "{refused}");
        assert_eq!(err.problems[0].line, 10);
        assert!(
            err.problems[0].message.contains(&refused.to_ascii_lowercase()),
            "{:?}",
            err.problems
        );
    }
    // Eight of the API's own and the three bosun adds: over CloudFront's 10.
    let many: Vec<String> = (0..8).map(|i| format!("\"x-h{i}\"")).collect();
    let err = parse_str(&stack(&format!("[{}]", many.join(", ")))).unwrap_err();
    assert!(err.problems[0].message.contains("11 headers"), "{:?}", err.problems);
    let err = parse_str(&stack("[\"bad header\"]")).unwrap_err();
    assert_eq!(err.problems[0].key, "frontends.web.api.headers[0]");
    // Without `headers`: AWS's managed policy, as before.
    let d = parse_str(&stack("[]").replace(", headers = []", "")).unwrap();
    assert_eq!(d.frontends[0].api.as_ref().unwrap().headers, None);
}

#[test]
fn a_frontend_with_an_api_has_a_key_lambda_takes_in_a_statement_id() {
    let stack = |key: &str| {
        format!(
            "[stack]\nname = \"s\"\n[functions.api]\nbinary = \"/bin/sh\"\nurl = {{ auth = \"aws-iam\" }}\n\
             [frontends.\"{key}\"]\ndir = \"/tmp\"\nbucket = \"b-site\"\ndistribution = \"managed\"\n\
             api = {{ function = \"api\" }}\n"
        )
    };
    assert!(parse_str(&stack("crew_app-2")).is_ok());
    for bad in ["crew.app", "crew app", &"a".repeat(77)] {
        let err = parse_str(&stack(bad)).unwrap_err();
        assert_eq!(err.problems[0].key, format!("frontends.{bad}"), "{bad}");
        assert!(err.problems[0].message.contains("statement id"), "{:?}", err.problems);
    }
}
