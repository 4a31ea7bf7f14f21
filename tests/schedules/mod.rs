//! `bosun deploy schedules` / the schedule step of `deploy all` against the
//! emulator: EventBridge rules targeting the function alias, the invoke
//! permission, ownership, and the SES gate for mail-sending schedules.

use serde_json::{json, Value};

use crate::util::*;

/// A stack with one function (exec-reports' binary) and the given schedules.
/// `send_email` functions need [ses]; the sender is verified by the caller.
fn body(binary: &std::path::Path, sender: Option<&str>, schedules: &str) -> String {
    let ses = match sender {
        Some(s) => format!("[ses]\nsender = \"{s}\"\n[ses.recipients]\ncsuite = [\"ceo@example.com\"]\n\n"),
        None => String::new(),
    };
    format!(
        "{ses}[functions.reports]\nbinary = \"{}\"\nsend_email = {}\n\n{schedules}",
        binary.display(),
        sender.is_some()
    )
}

const WEEKLY: &str = r#"
[schedules.weekly]
function = "reports"
expression = "cron(0 15 ? * MON *)"
input = { batch = "csuite" }
description = "weekly report"
"#;

async fn rule(name: &str) -> Option<(String, String, String)> {
    let out = events().await.describe_rule().name(name).send().await.ok()?;
    Some((
        out.schedule_expression().unwrap_or_default().to_string(),
        out.state().map(|s| s.as_str().to_string()).unwrap_or_default(),
        out.arn().unwrap_or_default().to_string(),
    ))
}

async fn targets(rule: &str) -> Vec<(String, String, Value)> {
    let out = events().await.list_targets_by_rule().rule(rule).send().await.unwrap();
    out.targets()
        .iter()
        .map(|t| {
            (
                t.id().to_string(),
                t.arn().to_string(),
                serde_json::from_str(t.input().unwrap_or("null")).unwrap(),
            )
        })
        .collect()
}

/// The schedule permissions on the alias: (sid, principal, source ARN).
async fn schedule_permissions(function: &str) -> Vec<(String, String, String)> {
    policy_statements(function, "live")
        .await
        .iter()
        .filter(|s| s["Sid"].as_str().unwrap_or_default().starts_with("bosun-events-"))
        .map(|s| {
            (
                s["Sid"].as_str().unwrap().to_string(),
                s["Principal"]["Service"].as_str().unwrap_or_default().to_string(),
                s["Condition"]["ArnLike"]["AWS:SourceArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// Creates (and so, in the emulator, verifies) a fresh sender identity.
fn verified_sender(stack: &TestStack) -> String {
    let sender = format!("{}@example.com", unique("sched"));
    let path = stack.dir.path().join("ses.toml");
    std::fs::write(
        &path,
        format!(
            "[stack]\nname = \"{}\"\nregion = \"{REGION}\"\n[ses]\nsender = \"{sender}\"\n",
            stack.name
        ),
    )
    .unwrap();
    let run = bosun(&[
        "--stack",
        path.to_str().unwrap(),
        "--output",
        "json",
        "verify-ses",
        "--create",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    sender
}

#[tokio::test(flavor = "multi_thread")]
async fn schedule_lifecycle_create_noop_change_disable_remove() {
    let stack = TestStack::new(&unique("sched"), "");
    let bin = stack.binary("exec-reports", "reports.bin");
    let sender = verified_sender(&stack);
    let function = format!("{}-reports", stack.name);
    let rule_name = format!("{}-weekly", stack.name);

    // Create: permission, rule, target on the alias ARN.
    stack.write(&body(&bin, Some(&sender), WEEKLY));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.events().iter().any(|e| e["event"] == "ses_verified"),
        "the SES gate ran"
    );
    let (expr, state, rule_arn) = rule(&rule_name).await.expect("rule created");
    assert_eq!((expr.as_str(), state.as_str()), ("cron(0 15 ? * MON *)", "ENABLED"));
    let t = targets(&rule_name).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].0, "bosun");
    assert!(
        t[0].1.ends_with(&format!(":function:{function}:live")),
        "targets the alias: {}",
        t[0].1
    );
    assert_eq!(t[0].2, json!({"batch": "csuite"}));
    let perms = schedule_permissions(&function).await;
    assert_eq!(
        perms,
        [(
            format!("bosun-events-{rule_name}"),
            "events.amazonaws.com".to_string(),
            rule_arn.clone()
        )],
        "exactly one permission, scoped to the rule"
    );
    let tags = events()
        .await
        .list_tags_for_resource()
        .resource_arn(&rule_arn)
        .send()
        .await
        .unwrap();
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == "bosun:stack" && t.value() == stack.name));

    // No-op: zero writes, the permission is not added twice.
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.write_calls(), Vec::<String>::new());
    assert_eq!(schedule_permissions(&function).await.len(), 1);

    // Change the expression: only PutRule.
    stack.write(&body(
        &bin,
        Some(&sender),
        &WEEKLY.replace("0 15 ? * MON *", "0 16 ? * MON *"),
    ));
    let plan = stack.bosun(&["plan"]);
    let text = plan.result()["schedules"][0]["next"][0]["utc"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.starts_with("Mon ") && text.contains(" 16:00 UTC"), "{text}");
    let run = stack.bosun(&["deploy", "schedules"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.write_calls(), ["EventBridge:PutRule"]);
    assert_eq!(rule(&rule_name).await.unwrap().0, "cron(0 16 ? * MON *)");

    // Change the input: only PutTargets.
    let changed = WEEKLY
        .replace("0 15 ? * MON *", "0 16 ? * MON *")
        .replace("batch = \"csuite\"", "batch = \"csuite\", period = \"week\"");
    stack.write(&body(&bin, Some(&sender), &changed));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.write_calls(), ["EventBridge:PutTargets"]);
    assert_eq!(
        targets(&rule_name).await[0].2,
        json!({"batch": "csuite", "period": "week"})
    );

    // Disable: PutRule with state DISABLED, target and permission kept.
    stack.write(&body(&bin, Some(&sender), &format!("{changed}enabled = false\n")));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.write_calls(), ["EventBridge:PutRule"]);
    assert_eq!(rule(&rule_name).await.unwrap().1, "DISABLED");
    assert_eq!(targets(&rule_name).await.len(), 1);

    // Remove: targets, rule and permission go.
    stack.write(&body(&bin, Some(&sender), ""));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.write_calls(),
        [
            "EventBridge:RemoveTargets",
            "EventBridge:DeleteRule",
            "Lambda:RemovePermission"
        ]
    );
    assert!(rule(&rule_name).await.is_none(), "rule deleted");
    assert!(schedule_permissions(&function).await.is_empty(), "permission removed");
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.write_calls(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_not_owned_by_the_stack_are_never_touched() {
    let stack = TestStack::new(&unique("foreign"), "");
    let bin = stack.binary("exec-reports", "reports.bin");
    let ev = events().await;
    // Same name prefix, no bosun:stack tag: someone else's rule.
    let foreign = format!("{}-hand-made", stack.name);
    ev.put_rule()
        .name(&foreign)
        .schedule_expression("rate(1 hour)")
        .send()
        .await
        .unwrap();

    stack.write(&body(
        &bin,
        None,
        &WEEKLY.replace("input = { batch = \"csuite\" }\n", ""),
    ));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    stack.write(&body(&bin, None, ""));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.count_writes("DeleteRule"),
        1,
        "only the stack's rule: {:?}",
        run.write_calls()
    );
    assert_eq!(rule(&foreign).await.map(|r| r.0), Some("rate(1 hour)".into()));

    // A schedule whose rule name is taken by a foreign rule is refused before any change.
    stack.write(&body(
        &bin,
        None,
        "[schedules.hand-made]\nfunction = \"reports\"\nexpression = \"rate(5 minutes)\"\n",
    ));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("is not owned by this stack"), "{msg}");
    assert_eq!(rule(&foreign).await.map(|r| r.0), Some("rate(1 hour)".into()));
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_schedules_wait_for_ses_unless_overridden() {
    let stack = TestStack::new(&unique("gate"), "");
    let bin = stack.binary("exec-reports", "reports.bin");
    let sender = format!("{}@example.com", unique("unverified"));
    stack.write(&body(&bin, Some(&sender), WEEKLY));

    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 1, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("schedule(s) weekly send mail, but SES is not ready; nothing was changed"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("FAIL identity {sender}: does not exist in SES")),
        "{msg}"
    );
    let function = format!("{}-reports", stack.name);
    assert!(
        lambda()
            .await
            .get_function()
            .function_name(&function)
            .send()
            .await
            .is_err(),
        "nothing was created"
    );

    let run = stack.bosun(&["deploy", "all", "--skip-ses-check"]);
    assert_eq!(run.code, 0, "{run:?}");
    let warned = run
        .events()
        .iter()
        .any(|e| e["event"] == "warning" && e["message"].as_str().unwrap_or_default().contains("--skip-ses-check"));
    assert!(warned, "{run:?}");
    assert!(rule(&format!("{}-weekly", stack.name)).await.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_ses_account_holds_mail_schedules_back_unless_overridden() {
    let stack = TestStack::new(&unique("gateacct"), "");
    let bin = stack.binary("exec-reports", "reports.bin");
    let sender = format!("{}@example.com", unique("sender"));
    stack.write(&body(&bin, Some(&sender), WEEKLY));
    assert_eq!(stack.bosun(&["verify-ses", "--create"]).code, 0);
    // GetAccount fails (here: an HTML 404): sandbox and sending state unknown.
    let proxy = faults::start(&emulator().endpoint, 0, 5);
    proxy.counts.refuse.lock().unwrap().push("GET /v2/email/account".into());
    let path = stack.path_str();
    let deploy = |extra: &[&str]| {
        let mut args = vec!["--stack", path.as_str(), "--output", "json", "deploy", "all"];
        args.extend_from_slice(extra);
        bosun_at(&proxy.endpoint, &args)
    };
    let run = deploy(&[]);
    assert_eq!(run.code, 1, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("SES is not ready; nothing was changed"), "{msg}");
    assert!(msg.contains("UNKNOWN account"), "{msg}");
    assert!(rule(&format!("{}-weekly", stack.name)).await.is_none());

    let run = deploy(&["--skip-ses-check"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(rule(&format!("{}-weekly", stack.name)).await.is_some());
}

#[test]
fn schedules_alone_need_their_function_deployed() {
    let stack = TestStack::new(&unique("early"), "");
    let bin = stack.binary("exec-reports", "reports.bin");
    stack.write(&body(
        &bin,
        None,
        "[schedules.tick]\nfunction = \"reports\"\nexpression = \"rate(1 day)\"\n",
    ));
    let run = stack.bosun(&["deploy", "schedules"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.result()["message"]
        .as_str()
        .unwrap()
        .contains("which is not deployed yet"));
}

#[test]
fn bad_schedules_are_rejected_before_any_aws_call() {
    let stack = TestStack::new("bad", "");
    let body = "[functions.reports]\nbinary = \"/bin/sh\"\n\n\
                [schedules.a]\nfunction = \"reports\"\nexpression = \"cron(0 15 * * MON *)\"\n\n\
                [schedules.b]\nfunction = \"nope\"\nexpression = \"rate(1 hours)\"\nevery = 1\n";
    stack.write(body);
    // Unreachable endpoint: validation must fail before any AWS call.
    let path = stack.path_str();
    let run = bosun_at("http://127.0.0.1:9", &["--stack", &path, "--output", "json", "plan"]);
    assert_eq!(run.code, 2, "{run:?}");
    let problems = run.result()["problems"].as_array().unwrap().clone();
    let keys: Vec<(&str, u64)> = problems
        .iter()
        .map(|p| (p["key"].as_str().unwrap(), p["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        keys,
        [
            ("schedules.a.expression", 10),
            ("schedules.b.function", 13),
            ("schedules.b.expression", 14),
            ("schedules.b.every", 15)
        ],
        "{problems:#?}"
    );
    assert!(problems[0]["message"].as_str().unwrap().contains("cannot both be set"));
    assert!(problems[2]["message"]
        .as_str()
        .unwrap()
        .contains("rate(1 hour), singular"));
}
