#!/usr/bin/env python3
"""The local AWS emulator (moto in server mode) for bosun's demo, tests and benchmarks.

Installs a pinned moto[server] into a project-local virtual environment and runs
it on 127.0.0.1 only. Standard library only, so it runs before anything else is
installed.

    scripts/emulator.py install         create .emulator/venv with the pinned moto (no-op when present)
    scripts/emulator.py start [--port N] start in the background (default: a free port); prints the endpoint
    scripts/emulator.py endpoint        print the endpoint of the running background instance
    scripts/emulator.py stop            stop the background instance
    scripts/emulator.py version         print the moto version the emulator runs
    scripts/emulator.py edge DISTRIBUTION_ID [--port N]
                                        start a local CloudFront edge for a distribution deployed to
                                        the running emulator (scripts/edge.py); prints its URL.
                                        `stop` stops it with the emulator. With --foreground
                                        [--lifeline] [--endpoint URL] it runs in the foreground and
                                        prints "ready <url>" (the tests).
    scripts/emulator.py mail [--to ADDRESS]
                                        the messages SES accepted, newest last (the demo's inbox)
    scripts/emulator.py serve [--port N] [--lifeline]
                                        run in the foreground; prints "ready <endpoint>" once it answers.
                                        With --lifeline it exits when its standard input closes, so a
                                        test process that dies never leaves an emulator behind.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tools import ensure_venv, wait_for_stop

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("BOSUN_EMULATOR_DIR", ROOT / ".emulator"))
VENV = STATE_DIR / "venv"
REQUIREMENTS = ROOT / "scripts" / "requirements-emulator.txt"
STATE_FILE = STATE_DIR / "background.json"
EDGES_FILE = STATE_DIR / "edges.json"
HOST = "127.0.0.1"


def venv_python() -> Path:
    return VENV / "bin" / "python"


def install() -> None:
    """Create the venv and install the pinned requirements; a no-op when already done."""
    ensure_venv(VENV, REQUIREMENTS, "moto")


def wait_until_answers(endpoint: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(endpoint + "/moto-api/data.json", timeout=2) as resp:
                if resp.status == 200:
                    return
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last = exc
        time.sleep(0.1)
    raise SystemExit(f"emulator: {endpoint} did not answer within {timeout:.0f}s ({last})")


def serve(port: int, lifeline: bool) -> None:
    """Run moto in this process (must be the venv's python)."""
    import logging

    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    # One log line per request drowns test and demo output; errors still show.
    if not os.environ.get("BOSUN_EMULATOR_VERBOSE"):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    # AWS's documented rules that moto skips (scripts/aws_rules.py); off only
    # with BOSUN_EMULATOR_LENIENT=1, to see what they catch.
    if not os.environ.get("BOSUN_EMULATOR_LENIENT"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import aws_rules

        aws_rules.install()

    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    host, real_port = server.get_host_and_port()
    endpoint = f"http://{host}:{real_port}"
    wait_until_answers(endpoint)
    print(f"ready {endpoint}", flush=True)
    wait_for_stop(lifeline)
    server.stop()


def ensure_venv_and_reexec(argv: list) -> None:
    """Install if needed, then run this script again under the venv's python."""
    install()
    # Compare prefixes, not executables: a venv's python is a link to the base
    # interpreter, so both resolve to the same file.
    if Path(sys.prefix).resolve() != VENV.resolve():
        env = dict(os.environ)
        os.execve(str(venv_python()), [str(venv_python()), str(Path(__file__).resolve())] + argv, env)


def read_state():
    try:
        return json.loads(STATE_FILE.read_text())
    except (FileNotFoundError, ValueError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def start(port: int) -> None:
    state = read_state()
    if state and alive(state["pid"]):
        print(state["endpoint"])
        return
    install()
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    log = open(STATE_DIR / "moto.log", "ab")
    proc = subprocess.Popen(
        [str(venv_python()), str(Path(__file__).resolve()), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("ready "):
        proc.kill()
        raise SystemExit(f"emulator: failed to start (see {STATE_DIR / 'moto.log'})")
    endpoint = line.split(" ", 1)[1]
    STATE_FILE.write_text(json.dumps({"pid": proc.pid, "endpoint": endpoint}))
    print(endpoint)


def terminate(pid: int) -> None:
    if alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)


def read_edges() -> list:
    try:
        return json.loads(EDGES_FILE.read_text())
    except (FileNotFoundError, ValueError):
        return []


def stop_background() -> None:
    for edge in read_edges():
        terminate(edge["pid"])
    EDGES_FILE.unlink(missing_ok=True)
    state = read_state()
    if not state:
        return
    terminate(state["pid"])
    STATE_FILE.unlink(missing_ok=True)


def running_endpoint() -> str:
    state = read_state()
    if not state or not alive(state["pid"]):
        raise SystemExit("emulator: not running (scripts/emulator.py start)")
    return state["endpoint"]


def start_edge(distribution: str, port: int) -> None:
    """A local CloudFront edge for `distribution`, in the background."""
    endpoint = running_endpoint()
    for edge in read_edges():
        if edge["distribution"] == distribution and alive(edge["pid"]):
            print(edge["url"])
            return
    log = open(STATE_DIR / f"edge-{distribution}.log", "ab")
    proc = subprocess.Popen(
        [str(venv_python()), str(ROOT / "scripts" / "edge.py"), "serve", distribution,
         "--endpoint", endpoint, "--port", str(port), "--log-dir", str(STATE_DIR)],
        stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("ready "):
        proc.kill()
        raise SystemExit(f"edge: failed to start for {distribution} (see {STATE_DIR / f'edge-{distribution}.log'})")
    url = line.split(" ", 1)[1]
    edges = [e for e in read_edges() if alive(e["pid"])]
    edges.append({"pid": proc.pid, "distribution": distribution, "url": url})
    EDGES_FILE.write_text(json.dumps(edges))
    print(url)


def mail(to: str, region: str) -> None:
    """Prints the messages SES accepted (the emulator keeps them)."""
    url = f"{running_endpoint()}/moto-api/bosun-rules/mail?region={region}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        messages = json.loads(resp.read())
    for m in messages:
        if to and to.lower() not in [a.lower() for a in m["to"]]:
            continue
        print(f"--- {m['id']}: from {m['source']} to {', '.join(m['to'])}")
        print(m.get("raw") or f"Subject: {m.get('subject')}\n\n{m.get('body')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("install")
    p_start = sub.add_parser("start")
    p_start.add_argument("--port", type=int, default=0)
    sub.add_parser("stop")
    sub.add_parser("endpoint")
    sub.add_parser("version", help="print the pinned moto version the emulator runs")
    p_edge = sub.add_parser("edge")
    p_edge.add_argument("distribution", help="a distribution id, or `all`: one edge per bosun-managed distribution")
    p_edge.add_argument("--port", type=int, default=0)
    p_edge.add_argument("--foreground", action="store_true")
    p_edge.add_argument("--lifeline", action="store_true")
    p_edge.add_argument("--endpoint")
    p_mail = sub.add_parser("mail")
    p_mail.add_argument("--to", default="")
    p_mail.add_argument("--region", default=os.environ.get("AWS_REGION", "us-west-2"))
    p_serve = sub.add_parser("serve")
    p_serve.add_argument("--port", type=int, default=0)
    p_serve.add_argument("--lifeline", action="store_true")
    args = parser.parse_args()

    if args.cmd == "install":
        install()
    elif args.cmd == "start":
        start(args.port)
    elif args.cmd == "stop":
        stop_background()
    elif args.cmd == "endpoint":
        print(running_endpoint())
    elif args.cmd == "edge" and args.foreground:
        endpoint = args.endpoint or running_endpoint()
        ensure_venv_and_reexec(sys.argv[1:])
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import edge

        STATE_DIR.mkdir(parents=True, exist_ok=True)
        edge.serve(endpoint, args.distribution, args.port, args.lifeline, str(STATE_DIR))
    elif args.cmd == "edge" and args.distribution == "all":
        endpoint = running_endpoint()
        ensure_venv_and_reexec(sys.argv[1:])
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        import contextlib
        import io

        import boto3

        cf = boto3.client("cloudfront", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="edge", aws_secret_access_key="edge")
        listing = cf.list_distributions()["DistributionList"].get("Items") or []
        for d in listing:
            # bosun's comment names the stack and frontend: "bosun STACK/KEY".
            if not d.get("Comment", "").startswith("bosun "):
                continue
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                start_edge(d["Id"], 0)
            print(f"site {d['Comment'][len('bosun '):]}: {out.getvalue().strip()}/")
    elif args.cmd == "edge":
        install()
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        start_edge(args.distribution, args.port)
    elif args.cmd == "mail":
        mail(args.to, args.region)
    elif args.cmd == "version":
        ensure_venv_and_reexec(sys.argv[1:])
        import moto

        print(f"moto {moto.__version__} ({sys.prefix})")
    elif args.cmd == "serve":
        ensure_venv_and_reexec(sys.argv[1:])
        serve(args.port, args.lifeline)


if __name__ == "__main__":
    main()
