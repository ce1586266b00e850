"""A local web archive: a pywb collection built from WARC files, served on 127.0.0.1.

Used by ``policytrail demo``, the tests and the benchmarks. pywb runs in its own
virtualenv as a subprocess (``crawler/run-scripts/pywb_server.py``) and is stopped by its PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from crawler import CHECKOUT, package_data
from crawler.errors import LocalArchiveError

PYWB_REQUIREMENT = "pywb==2.10.0"
# A script, not a module: it runs inside pywb's virtualenv and patches with gevent on start, so it
# lives in a folder whose name cannot be imported (package data, shipped in the wheel).
_SERVER_SCRIPT = ("run-scripts", "pywb_server.py")  # under PACKAGE_DIR

# pywb's default rules apply fuzzy matching, which makes a CDX filter that matches nothing
# return *all* rows; an empty rules file keeps answers exact.
_CONFIG = """\
collections_root: collections
redirect_to_exact: true
framed_replay: false
enable_memento: true
rules_file: {rules}
"""


def pywb_venv() -> Path:
    """Where pywb's own virtualenv lives: $POLICYTRAIL_PYWB_VENV, else ``.venv-pywb`` in a checkout,
    else (an installed wheel) a per-user data directory ($XDG_DATA_HOME/policytrail/venv-pywb)."""
    env = os.environ.get("POLICYTRAIL_PYWB_VENV")
    if env:
        return Path(env)
    if CHECKOUT is not None:
        return CHECKOUT / ".venv-pywb"
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "policytrail" / "venv-pywb"


def ensure_pywb(quiet: bool = False) -> Path:
    """Create pywb's virtualenv on first use; return its python. Idempotent."""
    venv = pywb_venv()
    python = venv / "bin" / "python"
    stamp = venv / ".policytrail-requirement"
    if python.exists() and stamp.exists() and stamp.read_text() == PYWB_REQUIREMENT:
        return python
    if not quiet:
        print(f"Installing {PYWB_REQUIREMENT} into its own virtualenv at {venv} (first run only)...", file=sys.stderr)
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", PYWB_REQUIREMENT], check=True
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        raise LocalArchiveError(
            f"could not install {PYWB_REQUIREMENT} into {venv}: {exc}. "
            f"Check that pip can reach PyPI, or set POLICYTRAIL_PYWB_VENV "
            f"to a virtualenv that has pywb."
        ) from None
    stamp.write_text(PYWB_REQUIREMENT)
    return python


def _drain(pipe) -> None:
    for _ in pipe:
        pass


class LocalArchive:
    """A pywb collection (``web`` by default) under ``root``; ``with archive.serve():`` runs it."""

    def __init__(self, root: str | Path, collection: str = "web"):
        self.root = Path(root).resolve()
        self.collection = collection
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise LocalArchiveError("the local archive is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.root / "access.log"

    def build(self, warcs: list[Path]) -> None:
        """(Re)create the collection from ``warcs``, indexed by pywb's own indexer."""
        python = ensure_pywb()
        coll = self.root / "collections" / self.collection
        if coll.exists():
            shutil.rmtree(coll)
        (coll / "archive").mkdir(parents=True)
        (coll / "indexes").mkdir(parents=True)
        rules = self.root / "rules.yaml"
        rules.write_text("default_filters:\n  url_normalize: []\nrules: []\n")
        (self.root / "config.yaml").write_text(_CONFIG.format(rules=rules))
        manager = python.parent / "wb-manager"
        result = subprocess.run(
            [str(manager), "add", self.collection, *[str(Path(w).resolve()) for w in warcs]],
            cwd=self.root,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise LocalArchiveError(f"pywb could not index the sample WARCs: {result.stderr.strip()[-500:]}")

    def start(self, timeout: float = 30.0) -> str:
        """Start pywb on 127.0.0.1 on an ephemeral port; return its base URL."""
        python = ensure_pywb()
        script = package_data(*_SERVER_SCRIPT)
        self.process = subprocess.Popen(
            [
                str(python),
                str(script),
                "--root",
                str(self.root),
                "--port",
                "0",
                "--access-log",
                str(self.access_log),
                "--parent-pid",  # pywb exits with us, even when we are killed with SIGKILL
                str(os.getpid()),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not line or not line[0].startswith("PORT "):
            code = self.process.poll()
            what = f"did not start within {timeout:.0f} s." if code is None else f"exited on start (code {code}):"
            err = self.process.stderr.read()[-800:] if code is not None else ""
            self.stop()
            raise LocalArchiveError(f"pywb {what} {err}".strip())
        self.port = int(line[0].split()[1])
        # drain both pipes, or pywb blocks for good once one fills up (64 KiB)
        for pipe in (self.process.stdout, self.process.stderr):
            threading.Thread(target=_drain, args=(pipe,), daemon=True).start()
        self._wait_ready(timeout)
        return self.url

    def _wait_ready(self, timeout: float) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/{self.collection}/cdx?url=example.com&limit=1", timeout=5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise LocalArchiveError("pywb started but does not answer CDX queries")

    def stop(self) -> None:
        """Stop the pywb process we started, by its PID."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def __enter__(self) -> LocalArchive:
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
