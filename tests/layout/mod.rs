//! The layering rule, kept true by reading the source: the pure core
//! (`model/`, `plan/`, `release.rs`) never reaches AWS, and the AWS layer
//! (`aws/`) depends on nothing above it but the model and the pure policy
//! documents. See docs/DESIGN.md, "Where things live".

use std::path::{Path, PathBuf};

use crate::util::root;

/// Every `.rs` file under `path` (or `path` itself).
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// `file:line: text` for each line of the files under `paths` that `bad` flags.
fn offending(paths: &[&str], bad: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths {
        for file in rust_files(&root().join(p)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                if bad(code) {
                    let rel = file.strip_prefix(root()).unwrap_or(&file).display().to_string();
                    out.push(format!("{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    out
}

/// A reference to the AWS layer or an AWS SDK crate, or async code.
fn reaches_aws(code: &str) -> bool {
    [
        "crate::aws",
        "aws_sdk_",
        "aws_config",
        "aws_smithy",
        "async fn",
        ".await",
    ]
    .iter()
    .any(|needle| code.contains(needle))
}

const CORE: &[&str] = &["src/model", "src/plan", "src/release.rs"];

#[test]
fn the_pure_core_never_reaches_aws() {
    let found = offending(CORE, reaches_aws);
    assert!(
        found.is_empty(),
        "plan/, model/ and release.rs must stay pure (no crate::aws, no SDK, no async):\n{}",
        found.join("\n")
    );
    // The scan itself works: the observer, which is the AWS side, is flagged.
    assert!(!offending(&["src/observe.rs"], reaches_aws).is_empty());
}

#[test]
fn the_aws_layer_depends_only_on_the_model_and_policy_documents() {
    let upward = |code: &str| {
        code.match_indices("crate::").any(|(i, _)| {
            !["crate::model", "crate::policy", "crate::aws"]
                .iter()
                .any(|ok| code[i..].starts_with(ok))
        })
    };
    let found = offending(&["src/aws"], upward);
    assert!(
        found.is_empty(),
        "aws/ may use crate::model and crate::policy only:\n{}",
        found.join("\n")
    );
    assert!(!offending(&["src/commands"], upward).is_empty());
}
