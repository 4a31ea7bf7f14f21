#!/usr/bin/env python3
"""What the browser test needs: Debian's Chromium and ChromeDriver, and a pinned
Selenium in a project-local virtual environment (.browser/venv).

    scripts/browser.py install   install what is missing (no-op when present)
    scripts/browser.py python    print the venv's python (runs scripts/e2e_browser.py)

Chromium comes from Debian's packages (apt-get; root, or sudo without a
password): Selenium is pointed at /usr/bin/chromium and /usr/bin/chromedriver
explicitly, so it never downloads a browser or driver. Standard library only.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools import ensure_venv

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".browser" / "venv"
REQUIREMENTS = ROOT / "scripts" / "requirements-browser.txt"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def apt_install() -> None:
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if prefix and not shutil.which("sudo"):
        sys.exit("browser: Chromium is missing; install Debian's chromium and chromium-driver as root")
    print("browser: installing Debian's chromium and chromium-driver ...", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(prefix + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        prefix + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", "chromium-driver"],
        check=True,
        env=env,
    )


def venv_install() -> None:
    ensure_venv(VENV, REQUIREMENTS, "selenium")


def main() -> None:
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "install":
        apt_install()
        venv_install()
    elif cmd == "python":
        print(VENV / "bin" / "python")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
