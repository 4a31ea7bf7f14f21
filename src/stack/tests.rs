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
