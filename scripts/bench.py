#!/usr/bin/env python3
"""Benchmark: a no-op `bosun deploy all` of the demo stack against the
hand-written workflow it replaces, in one run against one emulator instance.

Baseline (named "awscli-seed-workflow"): what the seed write-ups did by hand for
each function, with the pinned awscli from PyPI: zip the binary, then
`aws lambda update-function-code`, `publish-version`, `update-alias`. That
workflow cannot tell that nothing changed, so it always writes.

Prints wall time (median of --runs), AWS write calls, and the ratio.
Usage: python3 scripts/bench.py [--runs N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import emulator  # noqa: E402  (the project's own emulator helper)

BENCH_VENV = emulator.STATE_DIR / "bench-venv"
BENCH_REQS = ROOT / "scripts" / "requirements-bench.txt"
STACK = ROOT / "stacks" / "queenofsandiego.toml"
FUNCTIONS = {  # deployed name -> crate
    "queenofsandiego-exec-reports": "exec-reports",
    "queenofsandiego-shipcaptaincrew": "shipcaptaincrew",
}


def install_bench_tools() -> Path:
    stamp = BENCH_VENV / ".bosun-requirements"
    wanted = BENCH_REQS.read_text()
    if not (stamp.exists() and stamp.read_text() == wanted):
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run([str(BENCH_VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                        "-r", str(BENCH_REQS)], check=True)
        stamp.write_text(wanted)
    return BENCH_VENV / "bin" / "aws"


def start_emulator():
    emulator.install()
    proc = subprocess.Popen([str(emulator.venv_python()), str(ROOT / "scripts" / "emulator.py"), "serve", "--lifeline"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("ready "):
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def timed(cmd, env):
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return elapsed, out.stdout


def bosun_deploy(bosun, env):
    elapsed, stdout = timed([str(bosun), "--stack", str(STACK), "--output", "json", "deploy", "all"], env)
    result = json.loads(stdout.strip().splitlines()[-1])
    return elapsed, result["calls"]["writes"], result["changes"]


def awscli_workflow(aws, env, workdir: Path):
    """The seed's workflow for every function; returns (seconds, write calls)."""
    writes = 0
    start = time.perf_counter()
    for name, krate in FUNCTIONS.items():
        binary = ROOT / "target" / "release" / krate
        zpath = workdir / f"{krate}.zip"
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:  # the seed's `zip` step
            z.write(binary, "bootstrap")
        subprocess.run([str(aws), "lambda", "update-function-code", "--function-name", name,
                        "--zip-file", f"fileb://{zpath}"], env=env, check=True, capture_output=True)
        out = subprocess.run([str(aws), "lambda", "publish-version", "--function-name", name],
                             env=env, check=True, capture_output=True, text=True)
        version = json.loads(out.stdout)["Version"]
        subprocess.run([str(aws), "lambda", "update-alias", "--function-name", name, "--name", "live",
                        "--function-version", version], env=env, check=True, capture_output=True)
        writes += 3
    return time.perf_counter() - start, writes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    aws = install_bench_tools()
    subprocess.run(["cargo", "build", "--locked", "--quiet", "--bin", "bosun"], cwd=ROOT, check=True)
    bosun = ROOT / "target" / "debug" / "bosun"
    proc, endpoint = start_emulator()
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_REGION="us-west-2", AWS_DEFAULT_REGION="us-west-2")
    env.pop("AWS_PROFILE", None)
    try:
        first, first_writes, changes = bosun_deploy(bosun, env)
        print(f"emulator {endpoint}; first bosun deploy all: {first:.2f}s, {changes} changes, {first_writes} writes")
        bosun_runs = [bosun_deploy(bosun, env) for _ in range(args.runs)]
        assert all(w == 0 for _, w, _ in bosun_runs), "a no-op deploy must not write"
        with tempfile.TemporaryDirectory() as tmp:
            cli_runs = [awscli_workflow(aws, env, Path(tmp)) for _ in range(args.runs)]
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)

    b = statistics.median(t for t, _, _ in bosun_runs)
    c = statistics.median(t for t, _ in cli_runs)
    print(f"\nno-op deploy of the demo stack (2 functions), median of {args.runs} runs")
    print(f"{'':34}{'wall s':>8}{'writes':>8}")
    print(f"{'bosun deploy all (debug build)':34}{b:8.2f}{0:8d}")
    print(f"{'baseline: awscli-seed-workflow':34}{c:8.2f}{cli_runs[0][1]:8d}")
    print(f"ratio baseline/bosun wall time: {c / b:.2f}x; bosun writes 0 of the baseline's {cli_runs[0][1]}")
    print("bosun's time includes `cargo build --release` checking both crates are up to date (~1 s each);")
    print("the baseline publishes a new version of every function on every run.")


if __name__ == "__main__":
    main()
