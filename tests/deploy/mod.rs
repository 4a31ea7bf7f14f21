//! `bosun deploy` end to end against the emulator: the demo stack's first
//! deploy and its no-op second, one function's code or memory changed,
//! `deploy functions NAME`, `status --build`, a refused key-schema change,
//! and `--output json`.

use std::path::Path;

use crate::util::*;

/// A two-function stack on prebuilt binaries, with one table.
fn two_function_body(a: &Path, b: &Path, memory_a: i32) -> String {
    format!(
        r#"
[tables.data]
partition_key = "pk"

[functions.alpha]
binary = "{}"
memory = {memory_a}
tables = {{ data = "read" }}

[functions.beta]
binary = "{}"
"#,
        a.display(),
        b.display()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_stack_first_deploy_creates_everything_and_second_is_a_noop() {
    let name = unique("demo");
    let demo = std::fs::read_to_string(root().join("stacks/queenofsandiego.toml")).unwrap();
    let lambdas = root().join("lambdas");
    let text = demo
        .replace(
            "name = \"queenofsandiego\"",
            &format!("name = \"{name}\"\ncargo_profile = \"{TEST_PROFILE}\""),
        )
        .replace("\"../lambdas/", &format!("\"{}/", lambdas.display()))
        .replace("\"data/", &format!("\"{}/", root().join("stacks/data").display()));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_string_lossy().into_owned();

    // plan writes nothing
    let plan = bosun(&["--stack", &path, "--output", "json", "plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert_eq!(plan.result()["calls"]["writes"], 0);
    assert!(plan.result()["plan"]["changes"].as_array().unwrap().len() > 10);

    // The demo's report schedules send mail: SES must be ready first.
    let ses = bosun(&["--stack", &path, "--output", "json", "verify-ses", "--create"]);
    assert_eq!(ses.code, 0, "{ses:?}");

    let first = bosun(&["--stack", &path, "--output", "json", "deploy", "all"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.result()["changes"].as_u64().unwrap() > 0);
    // `bosun policy` allows every operation these runs made.
    assert_policy_covers(&path, &[&plan, &ses, &first]);
    // A pull request's plan needs only the read half (`policy --read-only`).
    assert_policy_covers_with(&path, &[&plan], &["--read-only"]);
    let rules = events()
        .await
        .list_rules()
        .name_prefix(format!("{name}-"))
        .send()
        .await
        .unwrap();
    let mut rule_names: Vec<&str> = rules.rules().iter().filter_map(|r| r.name()).collect();
    rule_names.sort();
    assert_eq!(
        rule_names,
        [format!("{name}-csuite-weekly"), format!("{name}-portfolio-monthly")]
    );

    // Read back through the SDK.
    let iam = iam().await;
    for f in ["exec-reports", "shipcaptaincrew"] {
        let role = format!("{name}-{f}");
        let got = iam.get_role().role_name(&role).send().await.expect("role exists");
        let trust = got.role().unwrap().assume_role_policy_document().unwrap();
        assert!(bosun::aws::decode_policy(trust)
            .unwrap()
            .to_string()
            .contains("lambda.amazonaws.com"));
        let policy = iam
            .get_role_policy()
            .role_name(&role)
            .policy_name("bosun")
            .send()
            .await
            .unwrap();
        let policy = bosun::aws::decode_policy(policy.policy_document()).unwrap();
        let text = policy.to_string();
        assert!(text.contains(&format!("table/{name}-crew")), "{text}");
        assert!(text.contains("identity/reports@example.com"), "{text}");
        for st in policy["Statement"].as_array().unwrap() {
            for r in st["Resource"].as_array().unwrap() {
                assert_ne!(r, "*", "no wildcard resource: {text}");
            }
            for a in st["Action"].as_array().unwrap() {
                assert!(!a.as_str().unwrap().contains('*'), "no wildcard action: {text}");
            }
        }
    }
    // exec-reports only reads the crew table: no write actions on it.
    let exec_policy = iam
        .get_role_policy()
        .role_name(format!("{name}-exec-reports"))
        .policy_name("bosun")
        .send()
        .await
        .unwrap();
    let exec_policy = bosun::aws::decode_policy(exec_policy.policy_document()).unwrap();
    let crew_stmt = exec_policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["Resource"][0]
                .as_str()
                .unwrap()
                .ends_with(&format!("table/{name}-crew"))
        })
        .expect("crew statement");
    assert!(!crew_stmt["Action"].to_string().contains("PutItem"), "{crew_stmt}");

    let ddb = dynamodb().await;
    let table = ddb
        .describe_table()
        .table_name(format!("{name}-invites"))
        .send()
        .await
        .unwrap();
    assert_eq!(table.table().unwrap().key_schema()[0].attribute_name(), "code_hash");
    let ttl = ddb
        .describe_time_to_live()
        .table_name(format!("{name}-invites"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description().unwrap().attribute_name(),
        Some("expires_at")
    );

    let lambda = lambda().await;
    // shipcaptaincrew's SCC_PUBLIC_URL names the frontend's distribution,
    // which the deploy creates: version 1 has a placeholder, the deploy's
    // second pass publishes version 2 with the distribution's address.
    for (f, version) in [("exec-reports", "1"), ("shipcaptaincrew", "2")] {
        let fname = format!("{name}-{f}");
        assert_eq!(alias_version(&lambda, &fname, "live").await, version);
        let cfg = lambda
            .get_function()
            .function_name(&fname)
            .qualifier("live")
            .send()
            .await
            .unwrap();
        let cfg = cfg.configuration().unwrap();
        assert_eq!(cfg.memory_size(), Some(256));
        assert_eq!(cfg.runtime().map(|r| r.as_str()), Some("provided.al2023"));
    }
    let url = lambda
        .get_function_url_config()
        .function_name(format!("{name}-shipcaptaincrew"))
        .qualifier("live")
        .send()
        .await
        .expect("function URL on the alias");
    // Behind the distribution: only CloudFront, signing for it, may call.
    assert_eq!(url.auth_type().as_str(), "AWS_IAM");
    let comment = format!("bosun {name}/shipcaptaincrew");
    let cf = cloudfront().await;
    let listed = cf.list_distributions().send().await.unwrap();
    let dist = listed
        .distribution_list()
        .unwrap()
        .items()
        .iter()
        .find(|d| d.comment() == comment)
        .expect("the frontend's distribution")
        .clone();
    let live = lambda
        .get_function_configuration()
        .function_name(format!("{name}-shipcaptaincrew"))
        .qualifier("live")
        .send()
        .await
        .unwrap();
    let env = live.environment().unwrap().variables().unwrap();
    assert_eq!(env["SCC_PUBLIC_URL"], format!("https://{}", dist.domain_name()));
    let config = cf.get_distribution_config().id(dist.id()).send().await.unwrap();
    let behaviours = config.distribution_config().unwrap().cache_behaviors().unwrap();
    assert!(behaviours.items().iter().any(|b| b.path_pattern() == "/api/*"));

    // The app's signing secret: a SecureString parameter with a random value,
    // its name (never its value) in the environment, readable by that role only.
    let param = format!("/{name}/shipcaptaincrew/jwt");
    let secret = ssm()
        .await
        .get_parameter()
        .name(&param)
        .with_decryption(true)
        .send()
        .await
        .expect("parameter");
    let secret = secret.parameter().unwrap();
    assert_eq!(secret.r#type().map(|t| t.as_str()), Some("SecureString"));
    let value = secret.value().unwrap().to_string();
    assert_eq!(value.len(), 96, "48 random bytes, hex");
    assert!(shipcaptaincrew::auth::check_secret(value.as_bytes()).is_ok());
    let cfg = lambda
        .get_function_configuration()
        .function_name(format!("{name}-shipcaptaincrew"))
        .send()
        .await
        .unwrap();
    let vars = cfg.environment().unwrap().variables().unwrap();
    assert_eq!(vars.get("BOSUN_SECRET_JWT"), Some(&param));
    assert!(!vars.values().any(|v| v.contains(&value)));
    assert!(
        !first.stdout.contains(&value) && !first.stderr.contains(&value),
        "the value is never printed"
    );
    let scc_policy = iam
        .get_role_policy()
        .role_name(format!("{name}-shipcaptaincrew"))
        .policy_name("bosun")
        .send()
        .await
        .unwrap();
    let scc_policy = bosun::aws::decode_policy(scc_policy.policy_document()).unwrap();
    let read = scc_policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "ReadSecrets")
        .expect("ReadSecrets");
    assert_eq!(read["Action"], serde_json::json!(["ssm:GetParameter"]));
    assert_eq!(
        read["Resource"],
        serde_json::json!([format!("arn:aws:ssm:{REGION}:123456789012:parameter{param}")])
    );
    assert!(!exec_policy.to_string().contains("ssm:"), "exec-reports has no secrets");

    // The second deploy changes nothing and writes nothing.
    let second = bosun(&["--stack", &path, "--output", "json", "deploy", "all"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(second.result()["changes"], 0);
    assert_eq!(second.write_calls(), Vec::<String>::new());
    // Both Lambda crates are one workspace: one cargo invocation checks
    // them, and finds nothing to compile.
    let builds: Vec<serde_json::Value> = second
        .events()
        .into_iter()
        .filter(|e| e["event"] == "build_started" || e["event"] == "build_finished")
        .collect();
    assert_eq!(builds.len(), 2, "{builds:?}");
    assert_eq!(
        builds[0]["functions"],
        serde_json::json!(["exec-reports", "shipcaptaincrew"])
    );
    assert_eq!(builds[1]["compiled"], 0, "{builds:?}");
    // Planning the deployed stack reads everything there is to read: the
    // read-only policy still covers it.
    let replan = bosun(&["--stack", &path, "--output", "json", "plan"]);
    assert_eq!(replan.code, 0, "{replan:?}");
    assert_policy_covers_with(&path, &[&replan], &["--read-only"]);
    assert!(
        second.result()["calls"]["total"].as_u64().unwrap() > 0,
        "reads were counted"
    );
    // A secret rotated out of band is kept: bosun never overwrites one.
    ssm()
        .await
        .put_parameter()
        .name(&param)
        .value("rotated-by-hand-0123456789abcdefghijklmnopqrstuvwxyz")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
    let third = bosun(&["--stack", &path, "--output", "json", "deploy", "all"]);
    assert_eq!(third.write_calls(), Vec::<String>::new());
    let kept = ssm()
        .await
        .get_parameter()
        .name(&param)
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        kept.parameter().unwrap().value(),
        Some("rotated-by-hand-0123456789abcdefghijklmnopqrstuvwxyz")
    );
    let text_plan = bosun(&["--stack", &path, "plan"]);
    assert_eq!(text_plan.code, 0, "{text_plan:?}");
    assert!(text_plan.stdout.contains("no changes"), "{}", text_plan.stdout);

    let status = bosun(&["--stack", &path, "--output", "json", "status"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert_eq!(status.result()["in_sync"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_one_functions_code_publishes_one_version_and_moves_only_its_alias() {
    let stack = TestStack::new(&unique("code"), "");
    let a = stack.binary("exec-reports", "alpha.bin");
    let b = stack.binary("exec-reports", "beta.bin");
    stack.write(&two_function_body(&a, &b, 128));
    let first = stack.bosun(&["deploy", "all"]);
    assert_eq!(first.code, 0, "{first:?}");

    change_code(&a);
    let plan = stack.bosun(&["plan"]);
    let actions = plan.planned_actions();
    assert_eq!(actions, ["update_code", "publish_version", "point_alias"]);

    let second = stack.bosun(&["deploy", "all"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(second.count_writes("UpdateFunctionCode"), 1);
    assert_eq!(second.count_writes("PublishVersion"), 1);
    assert_eq!(second.count_writes("UpdateAlias"), 1);
    assert_eq!(second.write_calls().len(), 3, "{:?}", second.write_calls());

    let lambda = lambda().await;
    let alpha = format!("{}-alpha", stack.name);
    let beta = format!("{}-beta", stack.name);
    assert_eq!(versions(&lambda, &alpha).await, vec!["1", "2"]);
    assert_eq!(alias_version(&lambda, &alpha, "live").await, "2");
    assert_eq!(versions(&lambda, &beta).await, vec!["1"]);
    assert_eq!(alias_version(&lambda, &beta, "live").await, "1");

    // The alias's version runs exactly the local package.
    let v2 = lambda
        .get_function()
        .function_name(&alpha)
        .qualifier("2")
        .send()
        .await
        .unwrap();
    let local = bosun::package::zip_bootstrap(&std::fs::read(&a).unwrap()).unwrap();
    assert_eq!(
        v2.configuration().unwrap().code_sha256(),
        Some(bosun::package::sha256_base64(&local).as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_only_memory_updates_configuration_without_uploading_code() {
    let stack = TestStack::new(&unique("mem"), "");
    let a = stack.binary("exec-reports", "alpha.bin");
    let b = stack.binary("exec-reports", "beta.bin");
    stack.write(&two_function_body(&a, &b, 128));
    assert_eq!(stack.bosun(&["deploy", "all"]).code, 0);

    stack.write(&two_function_body(&a, &b, 512));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.count_writes("UpdateFunctionCode"), 0, "{:?}", run.write_calls());
    assert_eq!(run.count_writes("UpdateFunctionConfiguration"), 1);
    assert_eq!(run.count_writes("PublishVersion"), 1);

    let lambda = lambda().await;
    let alpha = format!("{}-alpha", stack.name);
    let live = lambda
        .get_function()
        .function_name(&alpha)
        .qualifier("live")
        .send()
        .await
        .unwrap();
    assert_eq!(live.configuration().unwrap().memory_size(), Some(512));
    assert_eq!(versions(&lambda, &format!("{}-beta", stack.name)).await, vec!["1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_functions_limits_the_deploy_to_the_named_function() {
    let stack = TestStack::new(&unique("sel"), "");
    let a = stack.binary("exec-reports", "alpha.bin");
    let b = stack.binary("exec-reports", "beta.bin");
    stack.write(&two_function_body(&a, &b, 128));
    let run = stack.bosun(&["deploy", "functions", "alpha"]);
    assert_eq!(run.code, 0, "{run:?}");
    let lambda = lambda().await;
    assert_eq!(versions(&lambda, &format!("{}-alpha", stack.name)).await, vec!["1"]);
    let beta = lambda
        .get_function()
        .function_name(format!("{}-beta", stack.name))
        .send()
        .await;
    assert!(beta.is_err(), "beta must not be deployed");

    let unknown = stack.bosun(&["deploy", "functions", "gamma"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.result()["message"]
        .as_str()
        .unwrap()
        .contains("unknown function(s): gamma"));
}

#[tokio::test(flavor = "multi_thread")]
async fn status_build_reports_when_live_code_differs_from_the_local_build() {
    let stack = TestStack::new(&unique("drift"), "");
    let a = stack.binary("exec-reports", "alpha.bin");
    let b = stack.binary("exec-reports", "beta.bin");
    stack.write(&two_function_body(&a, &b, 128));
    assert_eq!(stack.bosun(&["deploy", "all"]).code, 0);
    assert_eq!(stack.bosun(&["status"]).code, 0);

    change_code(&b);
    // Against the last release nothing drifted; against the local build, beta did.
    assert_eq!(stack.bosun(&["status"]).code, 0);
    let status = stack.bosun(&["status", "--build"]);
    assert_eq!(status.code, 3, "{status:?}");
    let functions = status.result()["functions"].as_array().unwrap().clone();
    let beta = functions.iter().find(|f| f["function"] == "beta").unwrap();
    assert_eq!(beta["in_sync"], false);
    assert_eq!(beta["version"], "1");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_table_key_schema_is_refused_and_nothing_changes() {
    let stack = TestStack::new(&unique("keys"), "[tables.data]\npartition_key = \"pk\"\n");
    assert_eq!(stack.bosun(&["deploy", "all"]).code, 0);
    stack.write("[tables.data]\npartition_key = \"pk\"\nsort_key = \"sk\"\n");
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    let message = run.result()["message"].as_str().unwrap().to_string();
    assert!(message.contains("cannot change a table's keys"), "{message}");
    assert!(message.contains(&format!("{}-data", stack.name)), "{message}");
    let table = dynamodb()
        .await
        .describe_table()
        .table_name(format!("{}-data", stack.name))
        .send()
        .await
        .unwrap();
    assert_eq!(table.table().unwrap().key_schema().len(), 1, "table untouched");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_is_one_object_per_line_and_nothing_else() {
    let stack = TestStack::new(&unique("json"), "");
    let a = stack.binary("exec-reports", "alpha.bin");
    let b = stack.binary("exec-reports", "beta.bin");
    stack.write(&two_function_body(&a, &b, 128));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    let events = run.events(); // panics on any non-JSON line
    assert!(events.iter().any(|e| e["event"] == "packaged"));
    assert!(events
        .iter()
        .any(|e| e["event"] == "applied" && e["action"].as_str().unwrap().contains("create function")));
    let last = events.last().unwrap();
    assert_eq!(last["event"], "result");
    assert_eq!(last["command"], "deploy");
    assert!(!run.stdout.contains('✓'));
}

#[test]
fn plan_as_markdown_reads_as_a_pull_request_summary() {
    let name = unique("md");
    let stack = TestStack::new(&name, "");
    let binary = stack.binary("exec-reports", "bootstrap");
    stack.write(&format!(
        "[tables.runs]\npartition_key = \"id\"\n\n[functions.api]\nbinary = \"{}\"\ndescription = \"a | pipe\"\n",
        binary.display()
    ));
    let path = stack.path_str();
    let run = bosun(&["--stack", &path, "--output", "markdown", "plan"]);
    assert_eq!(run.code, 0, "{run:?}");
    let md = &run.stdout;
    assert!(md.starts_with(&format!("### bosun plan: stack `{name}`\n")), "{md}");
    assert!(
        md.contains("change(s) to 4 resource(s)** in account 123456789012, us-west-2"),
        "the permissions boundary, the role, the table, the function: {md}"
    );
    assert!(
        md.contains(&format!(
            "| create | `policy/bosun-{name}-boundary` | create the stack's permissions boundary |"
        )),
        "{md}"
    );
    assert!(md.contains("| | resource | changes |\n|---|---|---|\n"), "{md}");
    assert!(
        md.contains(&format!("| create | `function/{name}-api` | create function")),
        "{md}"
    );
    assert!(
        md.contains(&format!("| create | `table/{name}-runs` | create table |")),
        "{md}"
    );
    // Each row is one table row: no stray pipes or newlines from the cells.
    for row in md
        .lines()
        .filter(|l| l.starts_with("| create") || l.starts_with("| update"))
    {
        assert_eq!(row.matches(" | ").count(), 2, "{row}");
    }
    // Progress stays on stderr; other commands refuse markdown.
    assert!(
        run.stderr.contains("built") || run.stderr.contains("packag"),
        "{}",
        run.stderr
    );
    let deploy = bosun(&["--stack", &path, "--output", "markdown", "deploy", "all"]);
    assert_eq!(deploy.code, 2, "{deploy:?}");
    assert!(
        deploy.stderr.contains("--output markdown is for `bosun plan`"),
        "{}",
        deploy.stderr
    );
}
