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
import threading
import time
import urllib.request
from pathlib import Path

from tools import ensure_venv

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("BOSUN_EMULATOR_DIR", ROOT / ".emulator"))
VENV = STATE_DIR / "venv"
REQUIREMENTS = ROOT / "scripts" / "requirements-emulator.txt"
STATE_FILE = STATE_DIR / "background.json"
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

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if lifeline:
        def watch_stdin() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
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


def stop_background() -> None:
    state = read_state()
    if not state:
        return
    pid = state["pid"]
    if alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    STATE_FILE.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("install")
    p_start = sub.add_parser("start")
    p_start.add_argument("--port", type=int, default=0)
    sub.add_parser("stop")
    sub.add_parser("endpoint")
    sub.add_parser("version", help="print the pinned moto version the emulator runs")
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
        state = read_state()
        if not state or not alive(state["pid"]):
            raise SystemExit("emulator: not running (scripts/emulator.py start)")
        print(state["endpoint"])
    elif args.cmd == "version":
        ensure_venv_and_reexec(sys.argv[1:])
        import moto

        print(f"moto {moto.__version__} ({sys.prefix})")
    elif args.cmd == "serve":
        ensure_venv_and_reexec(sys.argv[1:])
        serve(args.port, args.lifeline)


if __name__ == "__main__":
    main()
