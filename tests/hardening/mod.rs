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
        &[("index.html", b"<p>ok</p>"), ("assets/cfg.js", b"const key = 'AKIAIOSFODNN7EXAMPLE';")],
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
    assert!(msg.contains("2 credential-looking value(s) would be deployed; nothing was changed"), "{msg}");
    assert!(msg.contains("environment:app:PAYMENTS looks like a stripe-live-key (sk_l…)"), "{msg}");
    assert!(msg.contains("file:web:assets/cfg.js looks like a aws-access-key-id (AKIA…)"), "{msg}");
    assert!(!msg.contains("4eC39HqLyjWDarjtT1zdp7dc"), "the secret itself is never printed: {msg}");

    // An allow-list entry overrides exactly one finding.
    stack.write(&format!(
        "[functions.app]\nbinary = \"{}\"\nenvironment = {{ PAYMENTS = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\" }}\n\n\
         [frontends.web]\ndir = \"site\"\nbucket = \"secrets-site\"\n",
        bin.display()
    )
    .replace(
        "[functions.app]",
        "allow_secrets = [\"file:web:assets/cfg.js:aws-access-key-id\"]\n\n[functions.app]",
    ));
    // (allow_secrets belongs to [stack]: TestStack puts the body after it.)
    let run = bosun_at(NOWHERE, &["--stack", &path, "--output", "json", "deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    assert!(msg.starts_with("1 credential-looking"), "{msg}");
    assert!(msg.contains("PAYMENTS"), "{msg}");
}
