#!/usr/bin/env python3
"""Benchmarks of bosun against the hand-written workflows it replaces, each
in one run against one emulator instance. Prints figures and ratios.

functions: a no-op `bosun deploy all` of the demo stack against the baseline
  "awscli-seed-workflow": per function, with the pinned awscli from PyPI, zip
  the binary, `aws lambda update-function-code`, `publish-version`,
  `update-alias` (it cannot tell nothing changed, so it always writes); and a
  one-function code change (a prebuilt binary) against that workflow for the
  one function.
frontend: a generated site (default 2,000 files, mixed sizes, nested) -- first
  sync, no-op re-sync, a 10-file change -- `bosun deploy frontend` against the
  baseline "awscli-s3-sync": `aws s3 sync --delete` + `aws cloudfront
  create-invalidation --paths "/*"`; plus bosun's peak RSS at 2,000 vs 20,000
  files.

Usage: python3 scripts/bench.py [functions|frontend|all] [--runs N] [--files N] [--big-files N]
                                [--bosun PATH] [--raw PATH] [--cargo-profile NAME] [--smoke]

--bosun PATH uses that bosun binary instead of building the release one;
  --raw PATH that raw client (the test suite passes the one it built).
--cargo-profile NAME deploys a copy of the demo stack whose crates build with
  that cargo profile (the test suite's, so the crates it built are reused).
--smoke runs everything once on a handful of files (the test suite does, with
  the debug build, so a broken benchmark fails CI); its timings mean nothing.
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


WARM_UP = """
import sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-west-2", aws_access_key_id="bench", aws_secret_access_key="bench")
c = lambda name: boto3.client(name, **kw)
c("s3").list_buckets()
cf = c("cloudfront")
cf.list_distributions(); cf.list_functions(); cf.list_response_headers_policies(); cf.list_origin_access_controls()
c("sts").get_caller_identity()
c("lambda").list_functions()
c("iam").list_roles()
c("dynamodb").list_tables()
c("events").list_rules()
c("sesv2").list_email_identities()
c("ssm").describe_parameters()
"""


def warm_up(endpoint):
    """One read in every service the benchmarks use, before anything is
    timed: moto loads a service's code on its first request (about half a
    second for CloudFront here), which would otherwise be charged to whichever command
    happens to run first."""
    subprocess.run([str(emulator.venv_python()), "-c", WARM_UP, endpoint], check=True, capture_output=True)


def timed(cmd, env):
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return elapsed, out.stdout


def demo_stack(profile, tmp: Path) -> Path:
    """The demo stack, or a copy of it in `tmp` whose crates build with cargo
    profile `profile` (its relative paths made absolute)."""
    if profile is None:
        return STACK
    text = STACK.read_text()
    text = text.replace('"../lambdas/', f'"{ROOT / "lambdas"}/').replace('"data/', f'"{STACK.parent / "data"}/')
    text = text.replace("[stack]\n", f'[stack]\ncargo_profile = "{profile}"\n', 1)
    copy = tmp / STACK.name
    copy.write_text(text)
    return copy


def profile_dir(profile) -> str:
    """The folder under target/TRIPLE/ cargo puts a profile's output in."""
    return {None: "release", "release": "release", "dev": "debug"}.get(profile, profile)


def bosun_deploy(bosun, stack, env):
    elapsed, stdout = timed([str(bosun), "--stack", str(stack), "--output", "json", "deploy", "all"], env)
    result = json.loads(stdout.strip().splitlines()[-1])
    return elapsed, result["calls"]["writes"], result["changes"]


def deployed_binary(krate: str, profile=None) -> Path:
    """The binary bosun built and deployed for a crate (the newest build of
    the profile under target/, e.g. target/x86_64-unknown-linux-gnu/release/)."""
    folder = profile_dir(profile)
    found = [p for p in (ROOT / "target").glob(f"*/{folder}/{krate}") if p.is_file()]
    found += [p for p in [ROOT / "target" / folder / krate] if p.is_file()]
    if not found:
        raise SystemExit(f"no {folder} build of {krate} under target/: run bosun deploy all first")
    return max(found, key=lambda p: p.stat().st_mtime)


def seed_deploy(aws, env, name: str, binary: Path, zpath: Path):
    """The seed's deploy of one function: zip, update-function-code,
    publish-version, update-alias (3 writes)."""
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:  # the seed's `zip` step
        z.write(binary, "bootstrap")
    subprocess.run([str(aws), "lambda", "update-function-code", "--function-name", name,
                    "--zip-file", f"fileb://{zpath}"], env=env, check=True, capture_output=True)
    out = subprocess.run([str(aws), "lambda", "publish-version", "--function-name", name],
                         env=env, check=True, capture_output=True, text=True)
    version = json.loads(out.stdout)["Version"]
    subprocess.run([str(aws), "lambda", "update-alias", "--function-name", name, "--name", "live",
                    "--function-version", version], env=env, check=True, capture_output=True)


def awscli_workflow(aws, env, workdir: Path, profile=None):
    """The seed's workflow for every function; returns (seconds, write calls)."""
    writes = 0
    binaries = {krate: deployed_binary(krate, profile) for krate in FUNCTIONS.values()}
    start = time.perf_counter()
    for name, krate in FUNCTIONS.items():
        seed_deploy(aws, env, name, binaries[krate], workdir / f"{krate}.zip")
        writes += 3
    return time.perf_counter() - start, writes


def code_change_bench(aws, bosun, env, runs: int, profile=None):
    """A one-function code change: bosun deploy functions app (prebuilt
    binary, changed) against the seed's workflow for one function (zip,
    update-function-code, publish-version, update-alias). Medians of `runs`."""
    binary = deployed_binary("exec-reports", profile)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app, cli = tmp / "app.bin", tmp / "cli.bin"
        for b in (app, cli):
            b.write_bytes(binary.read_bytes())
            b.chmod(0o755)
        stack = tmp / "fn.toml"
        stack.write_text(f"""[stack]
name = "benchfn"
region = "us-west-2"

[functions.app]
binary = "{app}"

[functions.cli]
binary = "{cli}"
""")
        # Both functions exist first (bosun creates them, roles and aliases).
        timed([str(bosun), "--stack", str(stack), "--output", "json", "deploy", "all"], env)
        bosun_times, cli_times = [], []
        for i in range(runs):
            with app.open("ab") as f:
                f.write(f"\0change {i}".encode())
            t, out = timed([str(bosun), "--stack", str(stack), "--output", "json", "deploy", "functions", "app"], env)
            result = json.loads(out.strip().splitlines()[-1])
            assert result["calls"]["writes"] > 0, "the changed function was not deployed"
            bosun_times.append(t)
            with cli.open("ab") as f:
                f.write(f"\0change {i}".encode())
            start = time.perf_counter()
            seed_deploy(aws, env, "benchfn-cli", cli, tmp / "cli.zip")
            cli_times.append(time.perf_counter() - start)
    b, c = statistics.median(bosun_times), statistics.median(cli_times)
    print(f"\none-function code change (prebuilt binary, {binary.stat().st_size / 1e6:.1f} MB), median of {runs} runs")
    print(f"{'':34}{'wall s':>8}")
    print(f"{'bosun deploy functions app':34}{b:8.2f}")
    print(f"{'baseline: awscli, one function':34}{c:8.2f}")
    print(f"ratio baseline/bosun wall time: {c / b:.2f}x (bosun also preflights the new binary, "
          f"checks its glibc and scans it for secrets, and records a release)")


def raw_client(release: bool) -> Path:
    """The raw client (examples/raw_put), built like the bosun measured. In
    release: `cargo build --release --example raw_put`. In debug, bosun is a
    `cargo test --workspace` build: the example that command built (asked
    again with --no-run, nothing to compile from the same shell), since a
    build of the example alone resolves other features for the SDK's
    dependencies and compiles them again. The test suite passes --raw with
    the one beside its own binary instead: under the test harness cargo's
    environment differs and the --no-run would recompile too."""
    if release:
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--example", "raw_put"],
                       cwd=ROOT, check=True)
        return ROOT / "target" / "release" / "examples" / "raw_put"
    out = subprocess.run(["cargo", "test", "--workspace", "--locked", "--no-run", "--message-format=json"],
                         cwd=ROOT, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in out.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "raw_put" \
                and "example" in msg["target"]["kind"] and msg.get("executable"):
            return Path(msg["executable"])
    raise SystemExit("cargo test --workspace --no-run built no raw_put example")


def bench_env(endpoint):
    # The pinned build tools (cargo-zigbuild, zig) first on PATH, as scripts/demo does.
    subprocess.run([sys.executable, str(ROOT / "scripts" / "tools.py"), "install", "build"], check=True)
    tools = ROOT / ".tools" / "build" / "venv" / "bin"
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_REGION="us-west-2", AWS_DEFAULT_REGION="us-west-2",
               PATH=f"{tools}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("AWS_PROFILE", None)
    return env


def measured(cmd, env):
    """Runs cmd in a wrapper that reports its peak RSS; returns (seconds, stdout, peak RSS MiB)."""
    wrapper = ("import resource,subprocess,sys;"
               "r=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
               "sys.stdout.write(r.stdout);"
               "sys.stderr.write(r.stderr);"
               "print('PEAK_RSS_KB',resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
               "sys.exit(r.returncode)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", wrapper] + [str(c) for c in cmd], env=env, cwd=ROOT,
                         capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    lines = out.stdout.strip().splitlines()
    rss_kb = int(lines[-1].split()[1])
    return elapsed, "\n".join(lines[:-1]), rss_kb / 1024


def generate_site(root: Path, files: int):
    """A deterministic site: nested folders, ~10% HTML, sizes from 200 B to ~40 KB."""
    for i in range(files):
        folder = root / f"section{i % 20:02d}" / f"part{(i // 20) % 5}"
        folder.mkdir(parents=True, exist_ok=True)
        ext = "html" if i % 10 == 0 else ("js" if i % 3 == 0 else ("css" if i % 3 == 1 else "png"))
        size = 200 + (i * 7919) % 40000
        (folder / f"file{i:05d}.{ext}").write_bytes((f"{i}:".encode() * (size // 6 + 1))[:size])
    (root / "index.html").write_text("<html>home</html>")


def frontend_stack(path: Path, name: str, site: Path):
    path.write_text(f"""[stack]
name = "{name}"
region = "us-west-2"

[frontends.site]
dir = "{site}"
bucket = "{name}-bosun"
prefix = "www/"
distribution = "managed"
max_deletes = 100000
cache = [ {{ glob = "*.html", control = "no-cache" }} ]
""")


def bosun_frontend(bosun, stack, env):
    elapsed, stdout, rss = measured([bosun, "--stack", stack, "--output", "json", "deploy", "frontend"], env)
    events = [json.loads(l) for l in stdout.splitlines()]
    uploaded = sum(1 for e in events if e.get("event") == "uploaded")
    paths = sum(len(e.get("paths", [])) for e in events if e.get("event") == "applied" and "paths" in e)
    return elapsed, uploaded, paths, rss


def awscli_frontend(aws, site, bucket, distribution, env):
    start = time.perf_counter()
    out = subprocess.run([str(aws), "s3", "sync", str(site), f"s3://{bucket}/www/", "--delete", "--only-show-errors"],
                         env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"aws s3 sync failed: {out.stderr[-2000:]}")
    subprocess.run([str(aws), "cloudfront", "create-invalidation", "--distribution-id", distribution,
                    "--paths", "/*"], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def raw_put(raw, site, bucket, env):
    """The physical limit: examples/raw_put does the same PUTs (Content-MD5,
    streamed from disk) at bosun's default concurrency (16), nothing else."""
    out = subprocess.run([str(raw), str(site), bucket, "www/", "16"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"raw_put failed: {out.stderr[-2000:]}")
    count, seconds = out.stdout.split()
    return float(seconds), int(count)


def frontend_bench(aws, bosun, env, files: int, big_files: int, raw=None):
    print(f"\n== frontend: generated site of {files} files")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        site = tmp / "site"
        generate_site(site, files)
        total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        stack = tmp / "stack.toml"
        frontend_stack(stack, "benchsite", site)
        # The baseline's bucket (same region, same distribution).
        subprocess.run([str(aws), "s3api", "create-bucket", "--bucket", "benchsite-awscli",
                        "--create-bucket-configuration", "LocationConstraint=us-west-2"],
                       env=env, check=True, capture_output=True)
        # Same bucket setup as bosun's (versioned), so both pay the same storage cost.
        subprocess.run([str(aws), "s3api", "put-bucket-versioning", "--bucket", "benchsite-awscli",
                        "--versioning-configuration", "Status=Enabled"], env=env, check=True, capture_output=True)
        rows = []
        first = bosun_frontend(bosun, stack, env)
        out = subprocess.run([str(aws), "cloudfront", "list-distributions"], env=env, check=True,
                             capture_output=True, text=True)
        dist = json.loads(out.stdout)["DistributionList"]["Items"][0]["Id"]
        cli_first = awscli_frontend(aws, site, "benchsite-awscli", dist, env)
        rows.append(("first sync", first, cli_first, files))
        raw_first = None
        if raw:
            for cmd in (["create-bucket", "--bucket", "benchsite-raw", "--create-bucket-configuration",
                         "LocationConstraint=us-west-2"],
                        ["put-bucket-versioning", "--bucket", "benchsite-raw", "--versioning-configuration",
                         "Status=Enabled"]):
                subprocess.run([str(aws), "s3api"] + cmd, env=env, check=True, capture_output=True)
            raw_first = raw_put(raw, site, "benchsite-raw", env)
        noop = bosun_frontend(bosun, stack, env)
        cli_noop = awscli_frontend(aws, site, "benchsite-awscli", dist, env)
        rows.append(("no-op re-sync", noop, cli_noop, 0))
        for i, p in enumerate(sorted(site.rglob("*.js"))[:10]):
            p.write_bytes(p.read_bytes() + f"// change {i}".encode())
        change = bosun_frontend(bosun, stack, env)
        cli_change = awscli_frontend(aws, site, "benchsite-awscli", dist, env)
        rows.append(("10-file change", change, cli_change, 10))

        print(f"site: {files} files, {total / 1e6:.1f} MB; baseline: aws s3 sync --delete + invalidation /* (1 path)")
        print(f"{'':16}{'bosun s':>9}{'uploads':>9}{'inv.paths':>10}{'rss MiB':>9}{'awscli s':>10}{'ratio':>8}")
        for label, (t, up, paths, rss), cli, _ in rows:
            print(f"{label:16}{t:9.2f}{up:9d}{paths:10d}{rss:9.1f}{cli:10.2f}{cli / t:7.2f}x")
        if raw_first:
            raw_s, raw_n = raw_first
            print(f"first sync against the emulator's ceiling: raw client (examples/raw_put, the same {raw_n} PUTs "
                  f"at concurrency 16, nothing else) {raw_s:.2f}s; bosun {first[0]:.2f}s = "
                  f"{first[0] / raw_s:.2f}x the raw client's time (whole command: build, scan, plan, manifest, release)")

        # Peak RSS against site size: same generator, 10x the files.
        big = tmp / "big"
        generate_site(big, big_files)
        big_total = sum(p.stat().st_size for p in big.rglob("*") if p.is_file())
        big_stack = tmp / "big.toml"
        frontend_stack(big_stack, "benchbig", big)
        t, up, _, rss_big = bosun_frontend(bosun, big_stack, env)
        per_file = lambda small, big: (big - small) * 1024 * 1024 / max(big_files - files, 1)
        print(f"peak RSS, first sync: {files} files ({total / 1e6:.0f} MB) {first[3]:.1f} MiB; "
              f"{big_files} files ({big_total / 1e6:.0f} MB) {rss_big:.1f} MiB "
              f"({rss_big / first[3]:.2f}x memory for {big_total / total:.1f}x bytes, "
              f"{per_file(first[3], rss_big):.0f} B a file; {t:.1f}s, {up} uploads)")
        # A re-sync reads the stored manifest and the listing of every file.
        t, up, _, rss_big_noop = bosun_frontend(bosun, big_stack, env)
        print(f"peak RSS, no-op re-sync: {files} files {noop[3]:.1f} MiB; {big_files} files "
              f"{rss_big_noop:.1f} MiB ({rss_big_noop / noop[3]:.2f}x, "
              f"{per_file(noop[3], rss_big_noop):.0f} B a file; {t:.1f}s, {up} uploads)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="?", default="all", choices=["functions", "frontend", "all"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--big-files", type=int, default=20000)
    parser.add_argument("--bosun", type=Path, help="the bosun binary to measure (default: build the release one)")
    parser.add_argument("--raw", type=Path, help="the raw client to measure (default: build examples/raw_put)")
    parser.add_argument("--cargo-profile", help="build the demo's crates with this cargo profile (default: release)")
    parser.add_argument("--smoke", action="store_true", help="one run on a handful of files: checks the benchmark works")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.files, args.big_files = 1, 12, 24

    aws = install_bench_tools()
    if args.bosun:
        bosun = args.bosun.resolve()
        release = "release" in bosun.parts
    else:
        # What users run: the release build (first build takes several minutes).
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--bin", "bosun"], cwd=ROOT, check=True)
        bosun = ROOT / "target" / "release" / "bosun"
        release = True
    raw = args.raw.resolve() if args.raw else raw_client(release)
    proc, endpoint = start_emulator()
    warm_up(endpoint)
    env = bench_env(endpoint)
    try:
        if args.which in ("frontend", "all"):
            frontend_bench(aws, bosun, env, args.files, args.big_files, raw)
        if args.which == "frontend":
            return
        print("\n== functions: no-op deploy of the demo stack")
        profile = args.cargo_profile
        with tempfile.TemporaryDirectory() as tmp:
            stack = demo_stack(profile, Path(tmp))
            # The demo's mail schedules need its SES identities (deploy's SES gate).
            timed([str(bosun), "--stack", str(stack), "--output", "json", "verify-ses", "--create"], env)
            first, first_writes, changes = bosun_deploy(bosun, stack, env)
            print(f"emulator {endpoint}; first bosun deploy all: {first:.2f}s, {changes} changes, {first_writes} writes")
            bosun_runs = [bosun_deploy(bosun, stack, env) for _ in range(args.runs)]
            assert all(w == 0 for _, w, _ in bosun_runs), "a no-op deploy must not write"
            cli_runs = [awscli_workflow(aws, env, Path(tmp), profile) for _ in range(args.runs)]
        code_change_bench(aws, bosun, env, args.runs, profile)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)

    b = statistics.median(t for t, _, _ in bosun_runs)
    c = statistics.median(t for t, _ in cli_runs)
    crates = f", crates in cargo profile {args.cargo_profile}" if args.cargo_profile else ""
    print(f"\nno-op deploy of the demo stack (2 functions{crates}), median of {args.runs} runs")
    print(f"{'':34}{'wall s':>8}{'writes':>8}")
    build = "release build" if "release" in bosun.parts else "debug build"
    label = f"bosun deploy all ({build})"
    print(f"{label:34}{b:8.2f}{0:8d}")
    print(f"{'baseline: awscli-seed-workflow':34}{c:8.2f}{cli_runs[0][1]:8d}")
    print(f"ratio baseline/bosun wall time: {c / b:.2f}x; bosun writes 0 of the baseline's {cli_runs[0][1]}")
    print("bosun's time includes one cargo invocation checking both crates are up to date;")
    print("the baseline publishes a new version of every function on every run.")


if __name__ == "__main__":
    main()
