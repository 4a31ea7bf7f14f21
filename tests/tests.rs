//! End-to-end tests: the real `bosun` binary against the local emulator
//! (moto), results read back through the SDK; fault paths the emulator cannot
//! produce go through `aws-smithy-mocks`.

mod crew;
mod frontend;
mod hardening;
mod real_aws;
mod releases;
mod reports;
mod schedules;
mod ses;
mod util;

use std::path::Path;

use util::*;

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
        .replace("name = \"queenofsandiego\"", &format!("name = \"{name}\""))
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
    for f in ["exec-reports", "shipcaptaincrew"] {
        let fname = format!("{name}-{f}");
        assert_eq!(versions(&lambda, &fname).await, vec!["1"]);
        assert_eq!(alias_version(&lambda, &fname, "live").await, "1");
        let cfg = lambda.get_function().function_name(&fname).send().await.unwrap();
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
    assert_eq!(url.auth_type().as_str(), "NONE");

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

// ---- packaging with real binaries ----

#[test]
fn real_binary_passes_al2023_and_is_refused_for_al2_and_arm64() {
    use bosun::model::{Arch, Runtime};
    use bosun::package::{check_binary, elf_facts};
    let path = lambda_binary("exec-reports");
    let bytes = std::fs::read(&path).unwrap();
    let facts = elf_facts(&bytes).unwrap();
    assert_eq!(facts.arch, Some(Arch::X86_64));
    assert!(facts.max_glibc.unwrap() <= (2, 34), "{facts:?}");
    check_binary("f", &path, &bytes, Runtime::ProvidedAl2023, Arch::X86_64).expect("fits provided.al2023");

    if facts.max_glibc.unwrap() > (2, 26) {
        let err = check_binary("f", &path, &bytes, Runtime::ProvidedAl2, Arch::X86_64).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("GLIBC_2."), "{text}");
        assert!(text.contains("provided.al2 provides glibc 2.26"), "{text}");
        assert!(err.is_bad_input());
    }

    let err = check_binary("f", &path, &bytes, Runtime::ProvidedAl2023, Arch::Arm64).unwrap_err();
    assert!(err.to_string().contains("built for x86_64"), "{err}");

    // The same binary relabelled as aarch64 (e_machine = 183) passes for arm64.
    let mut arm = bytes.clone();
    arm[18..20].copy_from_slice(&183u16.to_le_bytes());
    assert_eq!(elf_facts(&arm).unwrap().arch, Some(Arch::Arm64));
    check_binary("f", &path, &arm, Runtime::ProvidedAl2023, Arch::Arm64).expect("arm64 accepted");
}

#[test]
fn a_glibc_too_new_for_the_runtime_is_refused_through_the_cli_with_exit_2() {
    let binary = lambda_binary("exec-reports");
    let bytes = std::fs::read(&binary).unwrap();
    let facts = bosun::package::elf_facts(&bytes).unwrap();
    if facts.max_glibc.unwrap_or((0, 0)) <= (2, 26) {
        return; // a host with an old glibc builds binaries that fit provided.al2
    }
    let stack = TestStack::new(
        &unique("glibc"),
        &format!(
            "[functions.old]\nbinary = \"{}\"\nruntime = \"provided.al2\"\n",
            binary.display()
        ),
    );
    // An unreachable endpoint: the refusal happens before any AWS call.
    let path = stack.path_str();
    let run = bosun_at("http://127.0.0.1:9", &["--stack", &path, "deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("needs symbol version GLIBC_2."), "{}", run.stderr);
    assert!(run.stderr.contains("help:"), "{}", run.stderr);
}

#[test]
fn packaging_a_crate_twice_gives_identical_bytes() {
    use bosun::model::{Arch, CodeSource, FunctionSpec, Runtime};
    let spec = FunctionSpec {
        key: "exec-reports".into(),
        name: "x-exec-reports".into(),
        code: CodeSource::Crate {
            dir: root().join("lambdas/exec-reports"),
            bin: Some("exec-reports".into()),
        },
        runtime: Runtime::ProvidedAl2023,
        arch: Arch::X86_64,
        memory: 128,
        timeout: 3,
        description: String::new(),
        alias: "live".into(),
        environment: Default::default(),
        tables: Default::default(),
        send_email: false,
        url: None,
        data: Default::default(),
        archive: false,
        smoke: None,
        secrets: Vec::new(),
    };
    let one = bosun::package::package(&spec).expect("package");
    let two = bosun::package::package(&spec).expect("package again");
    assert_eq!(one.zip, two.zip);
    assert_eq!(one.sha256, two.sha256);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(one.zip.clone())).unwrap();
    assert_eq!(archive.len(), 1);
    let entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "bootstrap");
    assert_eq!(entry.unix_mode().unwrap() & 0o777, 0o755);
}

// ---- bad stack files: exit 2, located errors, no AWS call ----

fn bad(body: &str) -> Run {
    let stack = TestStack::new("bad", body);
    let path = stack.path_str();
    // Nothing listens on port 9: any AWS call would fail with exit 1, not 2.
    bosun_at("http://127.0.0.1:9", &["--stack", &path, "plan"])
}

#[test]
fn bad_stack_files_are_rejected_with_file_line_column_key_and_exit_2() {
    // (stack body, expected key path, expected message part, expected line)
    // Line 1-3 are [stack], name, region; line 4 is blank; the body starts at 5.
    let cases: &[(&str, &str, &str, usize)] = &[
        ("[stak]\nx = 1\n", "stak", "unknown key `stak`", 5),
        ("[functions.f]\nbinary = \"/bin/sh\"\nmemroy = 256\n", "functions.f.memroy", "did you mean `memory`", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nmemory = \"big\"\n", "functions.f.memory", "expected an integer, found a string", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nmemory = 20000\n", "functions.f.memory", "20000 is out of range", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\ntimeout = 0\n", "functions.f.timeout", "0 is out of range", 7),
        ("[functions.f]\nmemory = 256\n", "functions.f.crate", "missing required key `crate`", 5),
        ("[functions.f]\nbinary = \"/bin/sh\"\ntables = { nope = \"read\" }\n", "functions.f.tables.nope", "table `nope` is not declared", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nsend_email = true\n", "functions.f.send_email", "no sender identity", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nname = \"this-name-is-far-too-long-for-a-lambda-function-and-its-role-name\"\n", "functions.f.name", "not a valid Lambda function name", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nenvironment = { AWS_REGION = \"x\" }\n", "functions.f.environment.AWS_REGION", "reserved by Lambda", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nenvironment = { PORT = 8080 }\n", "functions.f.environment.PORT", "quote the value", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\narchitecture = \"sparc\"\n", "functions.f.architecture", "use one of: x86_64, arm64", 7),
        ("[functions.f]\ncrate = \"no/such/dir\"\n", "functions.f.crate", "no Cargo.toml", 6),
        ("[tables.t]\nbilling = \"provisioned\"\npartition_key = \"pk\"\n", "tables.t.read_capacity", "missing required key", 6),
        ("[ses]\nsender = \"not an address\"\n", "ses.sender", "neither an e-mail address nor a domain", 6),
        ("[functions.f]\nbinary = \"/bin/sh\"\nurl = { auth = \"open\" }\n", "functions.f.url.auth", "use one of: aws-iam, none", 7),
        // Lambda's key pattern is [a-zA-Z][a-zA-Z0-9_]+: two characters at least.
        ("[functions.f]\nbinary = \"/bin/sh\"\nenvironment = { A = \"x\" }\n", "functions.f.environment.A", "not a valid environment variable name", 7),
        // 4 KB covers BOSUN_SES_RECIPIENTS too: 150 addresses fit the stack's
        // own environment (none) but not the one bosun computes.
        (BIG_RECIPIENTS.as_str(), "functions.f.environment", "variable(s) bosun adds", 13),
    ];
    for (body, key, message, line) in cases {
        let run = bad(body);
        assert_eq!(run.code, 2, "case {key}: {run:?}");
        let located = format!("stack.toml:{line}:");
        assert!(
            run.stderr.contains(&located),
            "case {key}: expected {located} in\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!(": {key}: ")),
            "case {key}: key not named in\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(message),
            "case {key}: expected {message:?} in\n{}",
            run.stderr
        );
        assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    }
}

static BIG_RECIPIENTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let list: Vec<String> = (0..150)
        .map(|i| format!("\"crew-member-{i:03}@example.com\""))
        .collect();
    format!(
        "[ses]\nsender = \"reports@example.com\"\n[ses.recipients]\nall = [{}]\n\n[functions.f]\nbinary = \"/bin/sh\"\nsend_email = true\nenvironment = {{ RUST_LOG = \"info\" }}\n",
        list.join(", ")
    )
});

#[test]
fn all_problems_are_reported_at_once_and_as_json() {
    let body = "[functions.f]\nbinary = \"/bin/sh\"\nmemory = 1\ntimeout = 9999\nbogus = true\n";
    let run = bad(body);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.matches("stack.toml:").count(), 3 + 1, "{}", run.stderr); // header + 3

    let stack = TestStack::new("bad", body);
    let path = stack.path_str();
    let json = bosun_at("http://127.0.0.1:9", &["--stack", &path, "--output", "json", "plan"]);
    assert_eq!(json.code, 2);
    let err = json.result();
    assert_eq!(err["event"], "error");
    assert_eq!(err["exit_code"], 2);
    let problems = err["problems"].as_array().unwrap();
    let keys: Vec<&str> = problems.iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["functions.f.memory", "functions.f.timeout", "functions.f.bogus"]);
    assert_eq!(problems[0]["line"], 7);
    assert!(
        json.stderr.is_empty(),
        "json mode prints errors on stdout only: {}",
        json.stderr
    );
}

#[test]
fn invalid_toml_and_missing_file_are_bad_input() {
    let run = bad("[functions.f\n");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid TOML"), "{}", run.stderr);
    let run = bosun_at("http://127.0.0.1:9", &["--stack", "/no/such/stack.toml", "plan"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot read the stack file"), "{}", run.stderr);
}

// ---- faults the emulator cannot produce ----

mod mocked {
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::operation::update_function_code::{UpdateFunctionCodeError, UpdateFunctionCodeOutput};
    use aws_sdk_lambda::types::error::{InvalidParameterValueException, ResourceConflictException};
    use aws_sdk_lambda::types::{FunctionConfiguration, LastUpdateStatus, State};
    use aws_sdk_lambda::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn settled() -> GetFunctionOutput {
        GetFunctionOutput::builder()
            .configuration(
                FunctionConfiguration::builder()
                    .state(State::Active)
                    .last_update_status(LastUpdateStatus::Successful)
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn an_update_in_progress_is_waited_out_not_fatal() {
        let conflict = mock!(Client::update_function_code).then_error(|| {
            UpdateFunctionCodeError::ResourceConflictException(
                ResourceConflictException::builder()
                    .message("The operation cannot be performed at this time. An update is in progress.")
                    .build(),
            )
        });
        let wait_then = mock!(Client::get_function).then_output(settled);
        let update = mock!(Client::update_function_code).then_output(|| UpdateFunctionCodeOutput::builder().build());
        let wait_after = mock!(Client::get_function).then_output(settled);
        let client = mock_client!(
            aws_sdk_lambda,
            RuleMode::Sequential,
            &[&conflict, &wait_then, &update, &wait_after]
        );

        bosun::aws::lambda::update_code(&client, "fn", b"zip", "x86_64")
            .await
            .expect("the conflict is waited out");
        assert_eq!(conflict.num_calls(), 1);
        assert_eq!(wait_then.num_calls(), 1);
        assert_eq!(update.num_calls(), 1);
        assert_eq!(wait_after.num_calls(), 1);
    }

    /// `deploy --wait` polls the invalidation with the SDK waiter. moto reports
    /// an invalidation's status as "COMPLETED" where CloudFront says
    /// "Completed", so the waiter is exercised here against mocked responses.
    #[tokio::test]
    async fn waiting_for_an_invalidation_polls_until_completed() {
        use aws_sdk_cloudfront::operation::get_invalidation::GetInvalidationOutput;
        use aws_sdk_cloudfront::types::Invalidation;
        let status = |s: &'static str| {
            move || {
                GetInvalidationOutput::builder()
                    .invalidation(
                        Invalidation::builder()
                            .id("I1")
                            .status(s)
                            .create_time(aws_smithy_types::DateTime::from_secs(0))
                            .build()
                            .unwrap(),
                    )
                    .build()
            }
        };
        let in_progress = mock!(aws_sdk_cloudfront::Client::get_invalidation).then_output(status("InProgress"));
        let completed = mock!(aws_sdk_cloudfront::Client::get_invalidation).then_output(status("Completed"));
        let client = mock_client!(aws_sdk_cloudfront, RuleMode::Sequential, &[&in_progress, &completed]);
        bosun::aws::cloudfront::wait_invalidation(&client, "E1", "I1")
            .await
            .expect("completes");
        assert_eq!(in_progress.num_calls(), 1);
        assert_eq!(completed.num_calls(), 1);
    }

    /// AddPermission's ResourceConflictException means either "this
    /// statement id exists" or "an update is in progress" (AddPermission API
    /// reference): the policy is read to tell which.
    #[tokio::test]
    async fn an_add_permission_conflict_is_told_apart_by_reading_the_policy() {
        use aws_sdk_lambda::operation::add_permission::{AddPermissionError, AddPermissionOutput};
        use aws_sdk_lambda::operation::get_policy::GetPolicyOutput;
        use bosun::model::names::{PublicStatement, PUBLIC_INVOKE_SID};
        let conflict = || {
            mock!(Client::add_permission).then_error(|| {
                AddPermissionError::ResourceConflictException(
                    ResourceConflictException::builder()
                        .message(
                            "The operation cannot be performed at this time. An update is in progress for resource",
                        )
                        .build(),
                )
            })
        };
        let policy = |statements: &'static str| {
            mock!(Client::get_policy).then_output(move || GetPolicyOutput::builder().policy(statements).build())
        };
        // In progress: the statement is not there yet, so wait and add again.
        let (first, empty, waited, added) = (
            conflict(),
            policy(r#"{"Statement":[]}"#),
            mock!(Client::get_function).then_output(settled),
            mock!(Client::add_permission).then_output(|| AddPermissionOutput::builder().build()),
        );
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&first, &empty, &waited, &added]);
        bosun::aws::lambda::allow_public_url(&client, "fn", "live", PublicStatement::InvokeFunction)
            .await
            .expect("added after the update settled");
        assert_eq!((first.num_calls(), waited.num_calls(), added.num_calls()), (1, 1, 1));
        // Already there (an interrupted earlier run added it): done, no retry.
        let (again, present) = (
            conflict(),
            policy(r#"{"Statement":[{"Sid":"bosun-public-url-invoke"}]}"#),
        );
        assert!(PUBLIC_INVOKE_SID == "bosun-public-url-invoke");
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&again, &present]);
        bosun::aws::lambda::allow_public_url(&client, "fn", "live", PublicStatement::InvokeFunction)
            .await
            .expect("already present is done");
        assert_eq!((again.num_calls(), present.num_calls()), (1, 1));
    }

    /// PublishVersion carries the RevisionId read after this run's updates.
    #[tokio::test]
    async fn a_version_is_published_with_the_revision_this_run_read() {
        use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
        use aws_sdk_lambda::operation::publish_version::{PublishVersionError, PublishVersionOutput};
        use aws_sdk_lambda::types::error::PreconditionFailedException;
        let read = mock!(Client::get_function_configuration)
            .then_output(|| GetFunctionConfigurationOutput::builder().revision_id("rev-7").build());
        let publish = mock!(Client::publish_version)
            .match_requests(|r| r.revision_id() == Some("rev-7") && r.code_sha256() == Some("sha"))
            .then_output(|| PublishVersionOutput::builder().version("4").build());
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&read, &publish]);
        let v = bosun::aws::lambda::publish_version(&client, "fn", "sha").await.unwrap();
        assert_eq!(v, "4");
        // Changed meanwhile: a clear failure, not a publish of someone else's change.
        let read = mock!(Client::get_function_configuration)
            .then_output(|| GetFunctionConfigurationOutput::builder().revision_id("rev-7").build());
        let moved = mock!(Client::publish_version).then_error(|| {
            PublishVersionError::PreconditionFailedException(
                PreconditionFailedException::builder()
                    .message("The RevisionId provided does not match the latest RevisionId")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&read, &moved]);
        let err = bosun::aws::lambda::publish_version(&client, "fn", "sha")
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("changed while this deploy was publishing"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_bad_parameter_fails_fast_naming_operation_and_function() {
        let invalid = mock!(Client::update_function_code).then_error(|| {
            UpdateFunctionCodeError::InvalidParameterValueException(
                InvalidParameterValueException::builder().message("bad zip").build(),
            )
        });
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&invalid]);
        let err = bosun::aws::lambda::update_code(&client, "my-fn", b"zip", "x86_64")
            .await
            .unwrap_err();
        assert_eq!(invalid.num_calls(), 1, "not retried");
        let text = err.to_string();
        assert!(text.contains("lambda:UpdateFunctionCode on my-fn failed"), "{text}");
        assert!(text.contains("bad zip"), "{text}");
    }
}
