//! Helpers that let each test read like a sentence: an emulator per test
//! binary, a `bosun` runner that parses `--output json`, stacks in temp dirs,
//! and SDK clients pointed at the emulator to read results back.

pub mod faults;

/// The emulator harness, shared with the apps' own test crates.
pub use testkit::{
    browser_python, dynamodb, emulator, root, sdk_config, ssm, start_emulator, unique, Emulator, REGION,
};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

/// PATH with the pinned build tools (cargo-zigbuild, zig) first: installed
/// once by scripts/tools.py, as `scripts/test` and `scripts/demo` do.
pub fn build_tools_path() -> std::ffi::OsString {
    static PATH: OnceLock<std::ffi::OsString> = OnceLock::new();
    PATH.get_or_init(|| {
        let status = Command::new("python3")
            .arg(root().join("scripts/tools.py"))
            .args(["install", "build"])
            .status()
            .expect("run scripts/tools.py (needs python3)");
        assert!(status.success(), "installing the build tools failed");
        let bin = root().join(".tools/build/venv/bin");
        let rest = std::env::var_os("PATH").unwrap_or_default();
        std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&rest))).expect("a valid PATH")
    })
    .clone()
}

/// Clients pointed at the emulator, to read results back.
pub async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&sdk_config().await)
}

pub async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&sdk_config().await)
}

pub async fn events() -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(&sdk_config().await)
}

/// The statements of a function alias's resource policy (empty when it has none).
pub async fn policy_statements(function: &str, alias: &str) -> Vec<Value> {
    match lambda()
        .await
        .get_policy()
        .function_name(function)
        .qualifier(alias)
        .send()
        .await
    {
        Ok(out) => serde_json::from_str::<Value>(out.policy().unwrap_or("{}")).unwrap()["Statement"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// What one `bosun` run printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Every stdout line as JSON (panics if one is not: json mode prints nothing else).
    pub fn events(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{self:?}")))
            .collect()
    }

    /// The final `result` (or `error`) event.
    pub fn result(&self) -> Value {
        self.events().pop().unwrap_or_else(|| panic!("no output: {self:?}"))
    }

    /// The write calls the run made, as `Service:Operation`.
    pub fn write_calls(&self) -> Vec<String> {
        self.result()["calls"]["write_calls"]
            .as_array()
            .unwrap_or_else(|| panic!("no call summary: {self:?}"))
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    }

    /// The `action` of every change in a `plan` result, in order.
    pub fn planned_actions(&self) -> Vec<String> {
        self.result()["plan"]["changes"]
            .as_array()
            .unwrap_or_else(|| panic!("no plan: {self:?}"))
            .iter()
            .map(|c| c["action"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn count_writes(&self, operation: &str) -> usize {
        self.write_calls()
            .iter()
            .filter(|c| c.ends_with(&format!(":{operation}")))
            .count()
    }
}

/// Runs `bosun ARGS` against the emulator with dummy credentials.
pub fn bosun(args: &[&str]) -> Run {
    bosun_at(&emulator().endpoint, args)
}

/// Runs `bosun ARGS` with `endpoint` as AWS (e.g. an unreachable one).
pub fn bosun_at(endpoint: &str, args: &[&str]) -> Run {
    let out = bosun_command(endpoint, args).output().expect("run bosun");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The `bosun ARGS` command against `endpoint` with dummy credentials (for
/// tests that spawn it themselves: signals, extra environment).
pub fn bosun_command(endpoint: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bosun"));
    c.args(args)
        .current_dir(root())
        .env("PATH", build_tools_path())
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("BOSUN_STACK");
    c
}

/// A site folder of `n` small assets plus an index page.
pub fn write_numbered_site(dir: &Path, n: usize) {
    let files: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| (format!("assets/f{i:04}.js"), format!("//{i}").into_bytes()))
        .collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
    write_files(dir, &refs);
    write_files(dir, &[("index.html", b"<p>hi</p>")]);
}

/// The cargo profile the tests build the Lambda crates with (the workspace's
/// `[profile.quick]`, a stack's `cargo_profile`): every test that builds
/// them, through bosun or `lambda_binary`, shares that one build.
pub const TEST_PROFILE: &str = "quick";

/// The `bootstrap` of a lambda crate for provided.al2023 on x86_64, built
/// the way `bosun deploy` builds it with `cargo_profile = TEST_PROFILE` (so
/// the two share one build).
pub fn lambda_binary(krate: &str) -> PathBuf {
    lambda_bin(krate, krate)
}

/// The same for binary target `bin` of `krate` (e.g. exec-reports-preview,
/// which tests run on this machine against the emulator).
pub fn lambda_bin(krate: &str, bin: &str) -> PathBuf {
    use bosun::build::{self, Host};
    use bosun::model::{Arch, BuildChoice, Runtime};
    static BUILD: Mutex<()> = Mutex::new(());
    let _guard = BUILD.lock().unwrap();
    let host = Host::detect();
    let dir = root().join("lambdas").join(krate);
    let choice = (BuildChoice::Auto, Runtime::ProvidedAl2023, Arch::X86_64, TEST_PROFILE);
    let mut job = build::job(krate, &dir, Some(bin), choice, &host).expect("a build job");
    job.path = Some(build_tools_path());
    // Its own thread: callers may already be inside a tokio runtime.
    let built = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(build::run(&job, &host, &mut |_| {}))
    })
    .join()
    .expect("the build thread");
    built.unwrap_or_else(|e| panic!("building {krate} failed: {e}"))[krate].clone()
}

/// A stack file in its own temp dir, plus copies of prebuilt binaries that
/// tests may change to simulate new code.
pub struct TestStack {
    pub dir: tempfile::TempDir,
    pub name: String,
}

impl TestStack {
    /// A stack named `name` whose body (everything after `[stack]`) is `body`.
    pub fn new(name: &str, body: &str) -> TestStack {
        let dir = tempfile::tempdir().expect("temp dir");
        let stack = TestStack {
            dir,
            name: name.to_string(),
        };
        stack.write(body);
        stack
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("stack.toml")
    }

    pub fn path_str(&self) -> String {
        self.path().to_string_lossy().into_owned()
    }

    /// Rewrites the stack body (a later deploy sees the change).
    pub fn write(&self, body: &str) {
        let text = format!("[stack]\nname = \"{}\"\nregion = \"{REGION}\"\n\n{body}", self.name);
        std::fs::write(self.path(), text).expect("write stack file");
    }

    /// Copies a built lambda binary into the stack dir as `file`.
    pub fn binary(&self, krate: &str, file: &str) -> PathBuf {
        let dest = self.dir.path().join(file);
        std::fs::copy(lambda_binary(krate), &dest).expect("copy binary");
        dest
    }

    /// Runs bosun with `--stack` this file and `--output json`.
    pub fn bosun(&self, args: &[&str]) -> Run {
        let path = self.path_str();
        let mut all = vec!["--stack", path.as_str(), "--output", "json"];
        all.extend_from_slice(args);
        bosun(&all)
    }
}

/// Appends bytes to a binary: still a valid ELF, but new code.
pub fn change_code(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open binary");
    f.write_all(b"\0changed").expect("append");
}

/// Published version numbers of a function.
pub async fn versions(client: &aws_sdk_lambda::Client, function: &str) -> Vec<String> {
    let out = client
        .list_versions_by_function()
        .function_name(function)
        .send()
        .await
        .expect("list versions");
    out.versions()
        .iter()
        .filter_map(|v| v.version().map(str::to_string))
        .filter(|v| v != "$LATEST")
        .collect()
}

/// The version an alias points at.
pub async fn alias_version(client: &aws_sdk_lambda::Client, function: &str, alias: &str) -> String {
    client
        .get_alias()
        .function_name(function)
        .name(alias)
        .send()
        .await
        .expect("get alias")
        .function_version()
        .expect("alias version")
        .to_string()
}

pub async fn s3() -> aws_sdk_s3::Client {
    let conf = sdk_config().await;
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build())
}

/// The id of the distribution bosun manages for `stack`'s frontend `site`.
pub async fn distribution_of(stack: &str, site: &str) -> String {
    let comment = format!("bosun {stack}/{site}");
    let list = cloudfront().await.list_distributions().send().await.unwrap();
    list.distribution_list()
        .unwrap()
        .items()
        .iter()
        .find(|d| d.comment() == comment)
        .map(|d| d.id().to_string())
        .unwrap_or_else(|| panic!("no distribution with comment {comment}"))
}

pub async fn cloudfront() -> aws_sdk_cloudfront::Client {
    aws_sdk_cloudfront::Client::new(&sdk_config().await)
}

/// An ACM certificate (us-east-1, where CloudFront takes them) for `names`,
/// requested from the emulator; ISSUED when `issued` (the rules layer
/// stands in for its DNS validation), else PENDING_VALIDATION.
pub async fn certificate(names: &[&str], issued: bool) -> String {
    let conf = sdk_config().await;
    let acm = aws_sdk_acm::Client::from_conf(
        aws_sdk_acm::config::Builder::from(&conf)
            .region(aws_config::Region::new("us-east-1"))
            .build(),
    );
    let requested = acm
        .request_certificate()
        .domain_name(names[0])
        .set_subject_alternative_names(Some(names.iter().map(|n| n.to_string()).collect()))
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap();
    let arn = requested.certificate_arn().unwrap().to_string();
    if issued {
        rules(serde_json::json!({ "issue_certificate": arn }));
    }
    arn
}

/// Writes `files` (relative path → content) under `dir`, creating folders.
pub fn write_files(dir: &Path, files: &[(&str, &[u8])]) {
    for (rel, content) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// Keys under a bucket prefix.
pub async fn keys(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let out = client.list_objects_v2().bucket(bucket).send().await.expect("list");
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

/// The paths of every invalidation on a distribution, oldest first.
pub async fn invalidations(client: &aws_sdk_cloudfront::Client, distribution: &str) -> Vec<Vec<String>> {
    let list = client
        .list_invalidations()
        .distribution_id(distribution)
        .send()
        .await
        .expect("list invalidations");
    let mut out = Vec::new();
    let ids: Vec<String> = list
        .invalidation_list()
        .map(|l| l.items().iter().map(|i| i.id().to_string()).collect())
        .unwrap_or_default();
    for id in ids {
        let inv = client
            .get_invalidation()
            .distribution_id(distribution)
            .id(&id)
            .send()
            .await
            .expect("get invalidation");
        let mut paths: Vec<String> = inv
            .invalidation()
            .and_then(|i| i.invalidation_batch())
            .and_then(|b| b.paths())
            .map(|p| p.items().to_vec())
            .unwrap_or_default();
        paths.sort();
        out.push(paths);
    }
    out
}

/// Sets a knob of the emulator's AWS-rules layer (scripts/aws_rules.py):
/// e.g. `{"ttl_window_over": TABLE}` or `{"invalidation_seconds": N, "distribution": ID}`.
pub fn rules(body: Value) {
    use std::io::{Read, Write};
    let addr = emulator().endpoint.trim_start_matches("http://").to_string();
    let body = body.to_string();
    let mut conn = std::net::TcpStream::connect(&addr).expect("connect to the emulator");
    write!(
        conn,
        "POST /moto-api/bosun-rules HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "{answer}"
    );
}

/// Whether anyone may call a `NONE`-auth function URL, evaluated as Lambda
/// does since October 2025 (Lambda developer guide, "Control access to
/// Lambda function URLs"): the resource policy must allow `*` both
/// `lambda:InvokeFunctionUrl` (condition `lambda:FunctionUrlAuthType` =
/// NONE) and `lambda:InvokeFunction` (condition
/// `lambda:InvokedViaFunctionUrl` = true). Err names what is missing.
pub fn url_is_public(statements: &[Value]) -> Result<(), String> {
    let allows = |action: &str, op: &str, key: &str, value: &str| {
        statements.iter().any(|s| {
            s["Effect"] == "Allow"
                && (s["Principal"] == "*" || s["Principal"]["AWS"] == "*")
                && (s["Action"] == action || s["Action"].as_array().is_some_and(|a| a.iter().any(|x| x == action)))
                && s["Condition"][op][key] == value
        })
    };
    let mut missing = Vec::new();
    if !allows(
        "lambda:InvokeFunctionUrl",
        "StringEquals",
        "lambda:FunctionUrlAuthType",
        "NONE",
    ) {
        missing.push("lambda:InvokeFunctionUrl for FunctionUrlAuthType NONE");
    }
    if !allows("lambda:InvokeFunction", "Bool", "lambda:InvokedViaFunctionUrl", "true") {
        missing.push("lambda:InvokeFunction for InvokedViaFunctionUrl true");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the URL answers 403: no statement allows {}",
            missing.join(", nor ")
        ))
    }
}

/// The IAM actions an SDK operation (`Service:Operation`, as bosun's call log
/// names it) needs (the service authorization reference, e.g. HeadBucket is
/// s3:ListBucket, CopyObject of a version is s3:GetObjectVersion + s3:PutObject).
pub fn iam_actions(call: &str) -> Vec<String> {
    let (service, op) = call
        .split_once(':')
        .unwrap_or_else(|| panic!("not Service:Operation: {call}"));
    let prefix = match service.to_ascii_lowercase().as_str() {
        "lambda" => "lambda",
        "iam" => "iam",
        "dynamodb" => "dynamodb",
        "s3" => "s3",
        "cloudfront" => "cloudfront",
        "eventbridge" => "events",
        "sesv2" => "ses",
        "ssm" => "ssm",
        "sts" => "sts",
        "acm" => "acm",
        other => panic!("no IAM prefix known for service {other} ({call})"),
    };
    let actions: Vec<&str> = match (prefix, op) {
        ("s3", "HeadBucket" | "ListObjectsV2") => vec!["ListBucket"],
        ("s3", "HeadObject") => vec!["GetObject"],
        ("s3", "ListObjectVersions") => vec!["ListBucketVersions"],
        ("s3", "DeleteObjects") => vec!["DeleteObject"],
        ("s3", "CopyObject") => vec!["GetObjectVersion", "PutObject"],
        ("s3", "PutPublicAccessBlock") => vec!["PutBucketPublicAccessBlock"],
        // CreateDistributionWithTags API reference: "requires the following
        // IAM permissions": CreateDistribution and TagResource.
        ("cloudfront", "CreateDistributionWithTags") => vec!["CreateDistribution", "TagResource"],
        _ => vec![op],
    };
    let mut out: Vec<String> = actions.iter().map(|a| format!("{prefix}:{a}")).collect();
    match (prefix, op) {
        // Creating a function (or changing its role) passes the role to Lambda.
        ("lambda", "CreateFunction" | "UpdateFunctionConfiguration") => out.push("iam:PassRole".into()),
        // Tags given at creation need the tagging permission too.
        ("iam", "CreateRole") => out.push("iam:TagRole".into()),
        ("iam", "CreatePolicy") => out.push("iam:TagPolicy".into()),
        ("dynamodb", "CreateTable") => out.push("dynamodb:TagResource".into()),
        ("events", "PutRule") => out.push("events:TagResource".into()),
        ("ssm", "PutParameter") => out.push("ssm:AddTagsToResource".into()),
        _ => {}
    }
    out
}

/// Asserts that the policy `bosun policy` prints for `stack` allows every
/// operation the given runs made (their `calls.operations`).
pub fn assert_policy_covers(stack: &str, runs: &[&Run]) {
    assert_policy_covers_with(stack, runs, &[]);
}

/// The same, for `bosun policy EXTRA…` (e.g. `--read-only`).
pub fn assert_policy_covers_with(stack: &str, runs: &[&Run], extra: &[&str]) {
    let mut args = vec![
        "--stack",
        stack,
        "--output",
        "json",
        "policy",
        "--account",
        "123456789012",
    ];
    args.extend_from_slice(extra);
    let printed = bosun(&args);
    assert_eq!(printed.code, 0, "{printed:?}");
    let policy = printed.result()["policy"].clone();
    let allowed: std::collections::BTreeSet<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| {
            s["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
        })
        .collect();
    let mut missing = std::collections::BTreeSet::new();
    let mut seen = 0;
    for run in runs {
        let ops = run.result()["calls"]["operations"].clone();
        for op in ops.as_array().unwrap_or_else(|| panic!("no calls.operations: {run:?}")) {
            seen += 1;
            // Creating the permissions boundary is an administrator's step
            // (the tests run with an administrator's credentials): the
            // deployer policy leaves it out on purpose.
            if op == "IAM:CreatePolicy" {
                continue;
            }
            for action in iam_actions(op.as_str().unwrap()) {
                if !allowed.contains(&action) {
                    missing.insert(format!("{action} (for {op})"));
                }
            }
        }
    }
    assert!(seen > 0, "the runs made no call");
    assert!(
        missing.is_empty(),
        "`bosun policy` does not allow: {missing:?}\n{policy:#}"
    );
}

/// The executable `name` from the pinned tool set `set` that
/// scripts/tools.py installs (installed first when missing).
pub fn pinned_tool(set: &str, name: &str) -> std::path::PathBuf {
    let status = Command::new("python3")
        .arg(root().join("scripts/tools.py"))
        .args(["install", set])
        .status()
        .expect("run scripts/tools.py");
    assert!(status.success(), "installing the {set} tools failed");
    root().join(".tools").join(set).join("venv/bin").join(name)
}
