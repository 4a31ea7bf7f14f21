//! The benchmark cannot rot: `scripts/bench.py all --smoke` runs every part
//! of it (frontend first sync, no-op, 10-file change and the memory pass;
//! the demo stack's no-op deploy against the awscli workflow) once, on a
//! handful of files, with this build of bosun. Its timings mean nothing
//! here; that it runs to the end and prints every figure does.

use std::process::Command;

use crate::util::{root, TEST_PROFILE};

#[test]
fn the_benchmark_runs_every_part_and_prints_every_figure() {
    let out = Command::new("python3")
        .arg(root().join("scripts/bench.py"))
        .args(["all", "--smoke", "--bosun", env!("CARGO_BIN_EXE_bosun")])
        .args(["--cargo-profile", TEST_PROFILE])
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
