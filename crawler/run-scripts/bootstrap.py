"""Set up policytrail from a fresh clone and run the demo or the tests (standard library only).

    python3 crawler/run-scripts/bootstrap.py demo     # set up, then `policytrail demo`
    python3 crawler/run-scripts/bootstrap.py test     # set up (with test extras and Debian's chromium), then the tests

Idempotent: the virtualenvs (.venv for policytrail, .venv-pywb for pywb) are created once and
reinstalled only when pyproject.toml, this file or the Python version changes. Extra arguments are
passed on to `policytrail demo` or to pytest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
BIN = VENV / "bin"


def _run(cmd: list[str], **kwargs) -> None:
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project (editable) when missing or out of date."""
    if sys.version_info < (3, 11):  # noqa: UP036 -- this file runs before anything is installed
        sys.exit(f"policytrail needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    recipe = (ROOT / "pyproject.toml").read_bytes() + Path(__file__).read_bytes() + extras.encode()
    wanted = hashlib.sha256(recipe + sys.version.encode()).hexdigest()
    stamp = VENV / ".policytrail-stamp"
    if (BIN / "python").exists() and stamp.exists() and stamp.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        _run([sys.executable, "-m", "venv", str(VENV)])
    _run([str(BIN / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "pip"])
    target = f".[{extras}]" if extras else "."
    _run([str(BIN / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", target])
    stamp.write_text(wanted)


def ensure_pywb() -> None:
    _run([str(BIN / "python"), "-c", "from crawler.localarchive.pywb import ensure_pywb; print(ensure_pywb())"])


def ensure_chromium() -> None:
    """The report tests drive a real headless Chromium: Debian's package, installed when missing."""
    if shutil.which("chromium"):
        return
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get"]
    try:
        _run([*apt, "update", "-qq"])
        _run([*apt, "install", "-y", "-qq", "chromium"], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    except (subprocess.CalledProcessError, OSError):
        sys.exit(
            "Could not install Debian's chromium (the report tests need it): run "
            "`sudo apt-get install chromium`, then this command again."
        )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "setup"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_venv("test" if command in ("test", "setup") else "")
    ensure_pywb()
    if command in ("test", "setup"):
        ensure_chromium()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if command == "demo":
        return subprocess.run([str(BIN / "policytrail"), "demo", *rest], cwd=ROOT, env=env).returncode
    if command == "test":
        return subprocess.run([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT, env=env).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
