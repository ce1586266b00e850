"""The live progress display: arithmetic, and what a terminal actually shows during a crawl."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

from crawler.crawl.progress import RateMeter, eta_seconds, format_duration

from .archive_shim import Fault
from .conftest import FIXTURES, ROOT

ANSI = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]")


def test_eta_uses_the_observed_rate_but_never_beats_the_rate_limit():
    assert eta_seconds(100, observed_rate=2.0, limit_rate=8.0) == 50
    assert eta_seconds(100, observed_rate=50.0, limit_rate=8.0) == 12.5
    assert eta_seconds(100, observed_rate=None, limit_rate=8.0) == 12.5  # nothing observed yet
    assert eta_seconds(100, observed_rate=None, limit_rate=None) is None  # unthrottled, nothing observed
    assert eta_seconds(0, observed_rate=None, limit_rate=None) == 0


def test_rate_is_measured_over_a_sliding_window():
    meter = RateMeter(window=10)
    meter.add(0.0, 0)
    assert meter.rate() is None  # one sample says nothing
    meter.add(1.0, 5)
    assert meter.rate() is None  # too short to trust
    for t in range(2, 31):
        meter.add(float(t), 5 + (t - 1) * 2)  # 2 per second from t=1
    assert meter.rate() == 2.0
    assert meter.samples[0][0] >= 19.0  # old samples dropped


def test_durations_read_like_a_clock():
    assert format_duration(None) == "?"
    assert format_duration(42) == "42s"
    assert format_duration(125) == "2m05s"
    assert format_duration(3 * 3600 + 7 * 60) == "3h07m"


def _crawl_on_a_terminal(ia_shim, db, *extra) -> tuple[int, str, str]:
    """Run ``policytrail crawl`` with stderr on a pseudo-terminal; return (exit code, screen text, stdout)."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--targets", str(FIXTURES / "archive" / "targets.csv"),
         "--db", str(db), "--archive", ia_shim.url, "--format", "json", *extra],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100"),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=secondary,
    )  # fmt: skip
    os.close(secondary)
    screen = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    os.close(primary)
    code = proc.wait(timeout=120)
    return code, ANSI.sub(b"", screen).decode("utf-8", "replace"), proc.stdout.read().decode()


def test_a_terminal_shows_live_progress_per_company_with_rate_and_eta(ia_shim, tmp_path):
    code, screen, stdout = _crawl_on_a_terminal(ia_shim, tmp_path / "t.db", "--mementos-per-minute", "300")
    assert code == 0, screen
    assert "policytrail crawling" in screen and "ETA" in screen  # drawn while the crawl ran
    assert re.search(r"crawling · 2 companies · \d+ fetched · \d+\.\d/s", screen)  # a measured rate
    final = screen[screen.rindex("policytrail finished") :]
    assert re.search(r"Acme\s+9\s+\d+\s+\d+\s+0\s+0\s+\d+\s+done", final)  # listed, new, fetched, failed, to fetch
    assert "Beta" in final and "Traceback" not in screen
    assert stdout.startswith("[")  # the summary still goes to stdout


def test_quiet_on_a_terminal_draws_nothing(ia_shim, tmp_path):
    code, screen, stdout = _crawl_on_a_terminal(ia_shim, tmp_path / "t.db", "--unthrottled", "--quiet")
    assert code == 0 and screen.strip() == "" and stdout == ""


def test_a_double_ctrl_c_gives_the_terminal_back_with_its_cursor_and_the_reason_last(ia_shim, tmp_path):
    ia_shim.faults.append(Fault("/web/", 0, times=1000, hang=10))  # the crawl stalls with the display up
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--targets", str(FIXTURES / "archive" / "targets.csv"),
         "--db", str(tmp_path / "t.db"), "--archive", ia_shim.url, "--unthrottled", "--format", "json"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100"),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=secondary,
    )  # fmt: skip
    os.close(secondary)
    screen, signalled, deadline = b"", 0, time.monotonic() + 60
    while time.monotonic() < deadline:
        if ready := select.select([primary], [], [], 0.1)[0]:
            try:
                chunk = os.read(ready[0], 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            screen += chunk
        if signalled < 2 and b"policytrail crawling" in screen and ia_shim.requests("/web/"):
            proc.send_signal(signal.SIGINT)
            signalled += 1
            time.sleep(0.5)
    os.close(primary)
    try:
        code = proc.wait(timeout=10)
    finally:
        proc.kill()
    assert (signalled, code) == (2, 130), screen[-2000:]
    assert screen.rfind(b"\x1b[?25h") > screen.rfind(b"\x1b[?25l")  # the cursor is shown again
    lines = ANSI.sub(b"", screen).decode("utf-8", "replace").splitlines()
    assert lines[-1].startswith("Interrupted by SIGINT twice"), lines[-3:]
