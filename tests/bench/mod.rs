//! The benchmark cannot rot: `scripts/bench.py all --smoke` runs every part
//! of it (frontend first sync, no-op, 10-file change and the memory pass;
//! the demo stack's no-op deploy against the awscli workflow) once, on a
//! handful of files, with this build of bosun. Its timings mean nothing
//! here; that it runs to the end and prints every figure does.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

use crate::util::{root, TEST_PROFILE};

#[test]
fn the_benchmark_runs_every_part_and_prints_every_figure() {
    let out = Command::new("python3")
        .arg(root().join("scripts/bench.py"))
        .args(["all", "--smoke", "--bosun", env!("CARGO_BIN_EXE_bosun")])
        .args(["--cargo-profile", TEST_PROFILE])
        .args(
            built_raw_client()
                .iter()
                .flat_map(|raw| [OsStr::new("--raw"), raw.as_os_str()]),
        )
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run scripts/bench.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed:\n{stdout}\n{stderr}");
    for figure in [
        "first sync",
        "no-op re-sync",
        "10-file change",
        "peak RSS, first sync",
        "no-op deploy of the demo stack",
        "baseline: awscli-seed-workflow",
        "ratio baseline/bosun wall time",
    ] {
        assert!(stdout.contains(figure), "{figure} missing from:\n{stdout}");
    }
}

/// The raw client (`examples/raw_put`) that `cargo test --workspace` built
/// beside this test binary, if it did: the benchmark measures it instead of
/// building one of its own, which would resolve other features for the
/// SDK's dependencies and compile them again (minutes of a CI run).
fn built_raw_client() -> Option<PathBuf> {
    let debug = std::env::current_exe().ok()?.parent()?.parent()?.to_path_buf();
    let hashed = |name: &str| {
        name.strip_prefix("raw_put-")
            .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    std::fs::read_dir(debug.join("examples"))
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(hashed))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .map(|(_, path)| path)
}
