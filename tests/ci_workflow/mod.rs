//! The example CI workflow (docs/ci/bosun.yml) that teams copy: valid
//! against GitHub's workflow schema and clean under zizmor, offline, with
//! the pinned tools scripts/tools.py installs. A finding fails the test.

use std::process::Command;

use crate::util::*;

fn lint_tool(name: &str) -> std::path::PathBuf {
    pinned_tool("lint", name)
}

fn passes(mut command: Command) {
    let out = command.output().expect("run the checker");
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_example_workflow_matches_githubs_schema() {
    let mut c = Command::new(lint_tool("check-jsonschema"));
    c.args(["--builtin-schema", "vendor.github-workflows"])
        .arg(root().join("docs/ci/bosun.yml"));
    passes(c);
}

#[test]
fn the_example_workflow_has_no_zizmor_findings_even_pedantic() {
    // Offline: no GitHub token, no network; the pedantic persona adds the
    // style audits (concurrency limits, undocumented permissions).
    let mut c = Command::new(lint_tool("zizmor"));
    c.args(["--offline", "--persona", "pedantic", "--no-progress"])
        .arg(root().join("docs/ci/bosun.yml"))
        .env("NO_COLOR", "1");
    passes(c);
}

#[test]
fn the_checks_catch_what_they_are_for() {
    // The same workflow with an unpinned action and an input spliced into a
    // shell script: zizmor must refuse it (so a pass above means something).
    let good = std::fs::read_to_string(root().join("docs/ci/bosun.yml")).unwrap();
    let bad = good
        .replacen(
            "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0",
            "actions/checkout@v5",
            1,
        )
        .replace("\"$ROLLBACK_TO\"", "${{ inputs.rollback_to }}");
    assert_ne!(bad, good);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yml");
    std::fs::write(&path, bad).unwrap();
    let out = Command::new(lint_tool("zizmor"))
        .args(["--offline", "--no-progress"])
        .arg(&path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("unpinned-uses"), "{text}");
    assert!(text.contains("template-injection"), "{text}");
}

/// The jobs that hold the production role run only from `main`: the deploy
/// on a push to it, the rollback when dispatched on it.
#[test]
fn production_jobs_run_only_from_main() {
    let text = std::fs::read_to_string(root().join("docs/ci/bosun.yml")).unwrap();
    for job in ["deploy:", "rollback:"] {
        let at = text
            .find(&format!("\n  {job}"))
            .unwrap_or_else(|| panic!("no job {job}"));
        let body: String = text[at + 1..]
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("    ") || l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let condition = body
            .lines()
            .find(|l| l.trim_start().starts_with("if:"))
            .unwrap_or_else(|| panic!("{job} has no if:"));
        assert!(
            condition.contains("github.ref == 'refs/heads/main'"),
            "{job} {condition}"
        );
        assert!(body.contains("environment: production"), "{job}");
    }
}

/// The jobs holding the production role compile nothing (no dependency's
/// build script runs where an OIDC token for that role can be minted):
/// they run the bosun its own role-less job built alone (checked against
/// that job's digest) and the zips another role-less job built (checked
/// against its manifest digest).
#[test]
fn production_jobs_compile_nothing_and_the_build_job_holds_no_role() {
    let text = std::fs::read_to_string(root().join("docs/ci/bosun.yml")).unwrap();
    let job = |name: &str| -> String {
        let at = text
            .find(&format!("\n  {name}:"))
            .unwrap_or_else(|| panic!("no job {name}"));
        text[at + 1..]
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("    ") || l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    for name in ["deploy", "rollback"] {
        let body = job(name);
        assert!(!body.contains("cargo "), "{name} compiles:\n{body}");
        assert!(!body.contains("rust-cache"), "{name} restores a build cache:\n{body}");
        assert!(body.contains("needs:") && body.contains("bosun"), "{name}");
        // The binary is checked against the digest its own job reported,
        // before it runs and before the role is assumed.
        let check = body
            .find("sha256sum --check")
            .unwrap_or_else(|| panic!("{name} runs an unchecked bosun"));
        let role = body.find("configure-aws-credentials").unwrap();
        let runs = body.find("tool/bosun --stack").unwrap();
        assert!(check < role && check < runs, "{name}: check, then role, then run");
    }
    assert!(job("deploy").contains("--prebuilt dist --prebuilt-sha256"));
    for name in ["bosun", "build"] {
        let body = job(name);
        assert!(!body.contains("id-token"), "{name} may mint no token:\n{body}");
        assert!(!body.contains("configure-aws-credentials"), "{body}");
        assert!(!body.contains("environment:"), "{body}");
    }
    // bosun is built alone and from no cache another job could have saved.
    let tool = job("bosun");
    assert!(!tool.contains("rust-cache"), "{tool}");
    assert!(!tool.contains("bosun build") && !tool.contains("ZIG_TOOLS"), "{tool}");
}
