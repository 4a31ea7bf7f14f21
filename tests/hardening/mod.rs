//! Preflight refusals (secrets) and interrupts, against the real binary.

use crate::util::*;

/// Unreachable AWS: a preflight refusal must come before any AWS call.
const NOWHERE: &str = "http://127.0.0.1:9";

#[test]
fn a_secret_in_an_environment_value_or_a_frontend_file_is_refused_before_any_aws_call() {
    let stack = TestStack::new("secrets", "");
    let bin = stack.binary("exec-reports", "app.bin");
    write_files(
        &stack.dir.path().join("site"),
        &[
            ("index.html", b"<p>ok</p>"),
            ("assets/cfg.js", b"const key = 'AKIAIOSFODNN7EXAMPLE';"),
        ],
    );
    stack.write(&format!(
        "[functions.app]\nbinary = \"{}\"\nenvironment = {{ PAYMENTS = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\", RUST_LOG = \"info\" }}\n\n\
         [frontends.web]\ndir = \"site\"\nbucket = \"secrets-site\"\n",
        bin.display()
    ));
    let path = stack.path_str();
    let run = bosun_at(NOWHERE, &["--stack", &path, "--output", "json", "deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("2 credential-looking value(s) would be deployed; nothing was changed"),
        "{msg}"
    );
    assert!(
        msg.contains("environment:app:PAYMENTS looks like a stripe-live-key (sk_l…)"),
        "{msg}"
    );
    assert!(
        msg.contains("file:web:assets/cfg.js looks like a aws-access-key-id (AKIA…)"),
        "{msg}"
    );
    assert!(
        !msg.contains("4eC39HqLyjWDarjtT1zdp7dc"),
        "the secret itself is never printed: {msg}"
    );

    // An allow-list entry overrides exactly one finding.
    stack.write(
        &format!(
            "[functions.app]\nbinary = \"{}\"\nenvironment = {{ PAYMENTS = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\" }}\n\n\
         [frontends.web]\ndir = \"site\"\nbucket = \"secrets-site\"\n",
            bin.display()
        )
        .replace(
            "[functions.app]",
            "allow_secrets = [\"file:web:assets/cfg.js:aws-access-key-id\"]\n\n[functions.app]",
        ),
    );
    // (allow_secrets belongs to [stack]: TestStack puts the body after it.)
    let run = bosun_at(NOWHERE, &["--stack", &path, "--output", "json", "deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    assert!(msg.starts_with("1 credential-looking"), "{msg}");
    assert!(msg.contains("PAYMENTS"), "{msg}");
}

/// What passed the scan before: a site's `.env` (a database URL with its
/// password, a signing key), a data file holding a key, and the names and
/// shapes the first scan did not know (`JWT_SIGNING_KEY`, a PGP private key).
#[test]
fn dotfiles_data_files_and_more_credential_shapes_are_refused_before_any_aws_call() {
    let stack = TestStack::new("secrets2", "");
    let bin = stack.binary("exec-reports", "app.bin");
    write_files(
        &stack.dir.path().join("site"),
        &[
            ("index.html", b"<p>ok</p>"),
            (
                ".env",
                b"DATABASE_URL=postgres://app:hunter2hunter2@db.example.com/app\nJWT_SIGNING_KEY=Zx81LmQ2vT9pW4kN7sB1cY6a\n",
            ),
            ("keys/backup.asc", b"-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n"),
        ],
    );
    write_files(
        &stack.dir.path().join("data"),
        &[("app.toml", b"[mail]\nsigning_key = \"q8Zr3LmX2vT9pW4kN7sB1cY6\"\n")],
    );
    stack.write(&format!(
        "[functions.app]\nbinary = \"{}\"\ndata = {{ settings = \"data/app.toml\" }}\n\
         environment = {{ JWT_SIGNING_KEY = \"Q2w9Er7Ty5Ui3Op1As8Df6Gh\", RUST_LOG = \"info\" }}\n\n\
         [frontends.web]\ndir = \"site\"\nbucket = \"secrets2-site\"\n",
        bin.display()
    ));
    let path = stack.path_str();
    let run = bosun_at(NOWHERE, &["--stack", &path, "--output", "json", "deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    for expected in [
        "environment:app:JWT_SIGNING_KEY looks like a high-entropy-secret",
        "file:web:.env looks like a url-with-password",
        "file:web:.env:JWT_SIGNING_KEY looks like a high-entropy-secret",
        "file:web:keys/backup.asc looks like a private-key",
        "data:app:settings:signing_key looks like a high-entropy-secret",
    ] {
        assert!(msg.contains(expected), "{expected}: {msg}");
    }
    for secret in ["hunter2", "Zx81LmQ2", "q8Zr3LmX", "Q2w9Er7T"] {
        assert!(!msg.contains(secret), "the secret itself is never printed: {msg}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_finishes_the_step_in_flight_releases_the_lock_and_a_rerun_converges() {
    use std::io::BufRead;
    let stack = TestStack::new(&unique("intr"), "");
    write_numbered_site(&stack.dir.path().join("site"), 400);
    let bucket = format!("{}-site", stack.name);
    stack.write(&format!(
        "[frontends.web]\ndir = \"site\"\nbucket = \"{bucket}\"\nconcurrency = 1\n"
    ));
    let path = stack.path_str();
    let mut child = bosun_command(
        &emulator().endpoint,
        &["--stack", &path, "--output", "json", "deploy", "all"],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // Interrupt once the first change is applied (the bucket), while uploads run.
    for line in lines.by_ref() {
        let line = line.unwrap();
        let applied = line.contains("\"event\":\"applied\"");
        seen.push(line);
        if applied {
            std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .unwrap();
            break;
        }
    }
    seen.extend(lines.map(|l| l.unwrap()));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen:#?}");
    let error: serde_json::Value = serde_json::from_str(seen.last().unwrap()).unwrap();
    assert_eq!(error["exit_code"], 130);
    let msg = error["message"].as_str().unwrap();
    assert!(msg.contains("interrupted (Ctrl-C) before this step"), "{msg}");
    assert!(
        msg.contains("done before the failure") && msg.contains("not done"),
        "{msg}"
    );
    assert!(!error["done"].as_array().unwrap().is_empty());
    // The lock was released; a plain re-run converges.
    let lock = s3()
        .await
        .get_object()
        .bucket(format!("bosun-123456789012-{}", stack.name))
        .key("lock.json")
        .send()
        .await;
    assert!(lock.is_err(), "the lock is gone");
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(stack.bosun(&["deploy", "all"]).result()["calls"]["writes"], 0);
    assert_eq!(
        keys(&s3().await, &bucket).await.len(),
        402,
        "400 assets, index, manifest"
    );
}

#[test]
fn a_binary_that_crashes_at_start_is_refused_before_upload_with_its_stderr() {
    let stack = TestStack::new(&unique("pre"), "");
    // /bin/sleep without an operand exits at once, complaining on stderr.
    stack.write("[functions.app]\nbinary = \"/bin/sleep\"\n");
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("function `app`: bootstrap exited (exit status: 1) before asking for its first event"),
        "{msg}"
    );
    assert!(msg.contains("missing operand"), "its stderr is shown: {msg}");
    assert!(
        lambda_exists(&format!("{}-app", stack.name)).is_none(),
        "nothing was uploaded"
    );
}

fn lambda_exists(name: &str) -> Option<()> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        lambda()
            .await
            .get_function()
            .function_name(name)
            .send()
            .await
            .ok()
            .map(|_| ())
    })
}

#[test]
fn a_smoke_event_must_be_answered_with_success() {
    let stack = TestStack::new(&unique("smoke"), "");
    let bin = stack.binary("exec-reports", "app.bin");
    stack.write(&format!(
        "[functions.app]\nbinary = \"{}\"\nsmoke = {{ batch = \"nope\" }}\n",
        bin.display()
    ));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("function `app`: the smoke event failed"), "{msg}");
    assert!(msg.contains("unknown batch"), "{msg}");

    stack.write(&format!(
        "[functions.app]\nbinary = \"{}\"\nsmoke = {{ ping = true }}\n",
        bin.display()
    ));
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    let pre = run
        .events()
        .into_iter()
        .find(|e| e["event"] == "preflight")
        .expect("a preflight event");
    assert!(pre["smoke_response"].as_str().unwrap().contains("\"ok\":true"), "{pre}");
}

/// `deploy all` through a proxy injecting 10% faults (503, throttling,
/// resets, slow answers) either succeeds or fails cleanly; a fault-free
/// re-run converges with no duplicates and the lock released. Prints the
/// figures (see scripts/faults).
#[tokio::test(flavor = "multi_thread")]
async fn under_ten_percent_injected_faults_deploy_succeeds_or_fails_cleanly_and_a_rerun_converges() {
    let proxy = crate::util::faults::start(&emulator().endpoint, 100, 0x5eed_1234);
    let stack = TestStack::new(&unique("faults"), "");
    let bin = stack.binary("exec-reports", "app.bin");
    write_numbered_site(&stack.dir.path().join("site"), 20);
    let bucket = format!("{}-site", stack.name);
    stack.write(&format!(
        "[tables.data]\npartition_key = \"pk\"\n\n\
         [functions.app]\nbinary = \"{}\"\ntables = {{ data = \"read-write\" }}\nurl = {{ auth = \"none\" }}\n\n\
         [frontends.web]\ndir = \"site\"\nbucket = \"{bucket}\"\ndistribution = \"managed\"\n\n\
         [schedules.tick]\nfunction = \"app\"\nexpression = \"rate(1 day)\"\n",
        bin.display()
    ));
    let path = stack.path_str();
    let first = bosun_at(
        &proxy.endpoint,
        &["--stack", &path, "--output", "json", "deploy", "all"],
    );
    let outcome = match first.code {
        0 => "succeeded".to_string(),
        1 => {
            // A clean failure: one error event naming what was and was not done.
            let e = first.result();
            assert_eq!(e["event"], "error", "{first:?}");
            assert!(e["message"].as_str().unwrap().contains("failed"), "{e}");
            eprintln!("FAILURE {}", e["message"]);
            format!(
                "failed cleanly: {}",
                e["message"].as_str().unwrap().lines().next().unwrap_or_default()
            )
        }
        other => panic!("neither success nor a clean failure ({other}): {first:?}"),
    };
    let operations = first
        .events()
        .last()
        .and_then(|e| e["calls"]["total"].as_u64())
        .unwrap_or(0);
    let c = &proxy.counts;
    let requests = c.requests.load(std::sync::atomic::Ordering::SeqCst);
    eprintln!(
        "FIGURES faults: {requests} HTTP requests through the proxy, {} faults injected (503: {}, throttling: {}, resets: {}, slow: {}); bosun operations: {operations}; retries: {}; outcome: {outcome}",
        c.injected(),
        c.errors_503.load(std::sync::atomic::Ordering::SeqCst),
        c.throttles.load(std::sync::atomic::Ordering::SeqCst),
        c.resets.load(std::sync::atomic::Ordering::SeqCst),
        c.slow.load(std::sync::atomic::Ordering::SeqCst),
        requests.saturating_sub(operations as usize),
    );
    assert!(c.injected() > 0, "faults were injected");

    // Without faults (same proxy, rate 0), a re-run converges to exactly the stack's state.
    proxy.rate.store(0, std::sync::atomic::Ordering::SeqCst);
    let second = bosun_at(
        &proxy.endpoint,
        &["--stack", &path, "--output", "json", "deploy", "all"],
    );
    assert_eq!(second.code, 0, "{second:?}");
    let third = stack.bosun(&["deploy", "all"]);
    assert_eq!(third.result()["calls"]["writes"], 0, "{third:?}");
    let function = format!("{}-app", stack.name);
    assert_eq!(
        versions(&lambda().await, &function).await,
        ["1"],
        "no duplicate version"
    );
    let perms = policy_statements(&function, "live").await;
    let count = |prefix: &str| {
        perms
            .iter()
            .filter(|s| s["Sid"].as_str().unwrap_or_default().starts_with(prefix))
            .count()
    };
    // The schedule's permission, and the public URL's two statements
    // (lambda:InvokeFunctionUrl and lambda:InvokeFunction), each once.
    assert_eq!(
        (count("bosun-events-"), count("bosun-public-url")),
        (1, 2),
        "each permission once"
    );
    url_is_public(&perms).unwrap();
    let lock = s3()
        .await
        .get_object()
        .bucket(format!("bosun-123456789012-{}", stack.name))
        .key("lock.json")
        .send()
        .await;
    assert!(lock.is_err(), "the lock was released");
    assert_eq!(keys(&s3().await, &bucket).await.len(), 22);
}

/// Hostile frontend trees: each gets a clear error before any AWS call (or
/// is handled), never a panic or a partial deploy.
#[test]
fn hostile_frontend_trees_get_clear_errors_before_any_aws_call() {
    use std::os::unix::ffi::OsStrExt;
    type Setup = fn(&std::path::Path);
    let cases: &[(&str, Setup, i32, &str)] = &[
        (
            "non-UTF-8 name",
            |d| std::fs::write(d.join(std::ffi::OsStr::from_bytes(b"bad\xffname.html")), "x").unwrap(),
            2,
            "is not valid UTF-8",
        ),
        (
            "symlink loop",
            |d| {
                std::fs::create_dir_all(d.join("loop")).unwrap();
                std::os::unix::fs::symlink(d.join("loop"), d.join("loop/again")).unwrap();
            },
            2,
            "is a symbolic link",
        ),
        (
            "key over 1 KiB",
            |d| {
                let mut p = d.to_path_buf();
                for _ in 0..5 {
                    p = p.join("x".repeat(220));
                }
                std::fs::create_dir_all(&p).unwrap();
                std::fs::write(p.join("index.html"), "x").unwrap();
            },
            2,
            "over S3's 1,024",
        ),
        (
            "10,000 files",
            |d| {
                for i in 0..10_000 {
                    std::fs::write(d.join(format!("f{i:05}.txt")), i.to_string()).unwrap();
                }
            },
            // Scanned and planned; then AWS is unreachable: a clean failure.
            1,
            "could not be reached",
        ),
    ];
    for (name, setup, code, text) in cases {
        let stack = TestStack::new("hostile", "");
        let site = stack.dir.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        setup(&site);
        stack.write("[frontends.web]\ndir = \"site\"\nbucket = \"hostile-site\"\n");
        let path = stack.path_str();
        let run = bosun_at(NOWHERE, &["--stack", &path, "--output", "json", "deploy", "all"]);
        assert_eq!(run.code, *code, "{name}: {run:?}");
        let msg = run.result()["message"].as_str().unwrap_or_default().to_string();
        assert!(msg.contains(text), "{name}: {msg}");
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    }
}
