"""`policytrail review`: one key per judgement on a real terminal (a pty), saved at once, resumable."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import termios
import time

import pytest

from crawler.derive import derive

from .conftest import ROOT, rows
from .test_derive import A, B, C, build

ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")
PROMPT = "[q]uit"


class Terminal:
    """``policytrail review`` with its standard input, output and error on a pseudo-terminal."""

    def __init__(self, *args: str):
        self.primary, self.secondary = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "review", *args],
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT), POLICYTRAIL_AUTHOR="tester", COLUMNS="100"),
            stdin=self.secondary,
            stdout=self.secondary,
            stderr=self.secondary,
            start_new_session=True,  # its own process group: the SIGINT of a Ctrl-C reaches it alone
        )
        self.screen = ""
        self.seen = 0  # what `expect` has consumed

    def expect(self, text: str, timeout: float = 60) -> str:
        """Read until ``text`` shows after what was already consumed; return what came before it."""
        deadline = time.monotonic() + timeout
        while text not in self.screen[self.seen :]:
            assert time.monotonic() < deadline, f"no {text!r} in {self.screen[self.seen :][-2000:]!r}"
            if select.select([self.primary], [], [], 0.2)[0]:
                try:
                    chunk = os.read(self.primary, 65536)
                except OSError:
                    chunk = b""
                self.screen += ANSI.sub("", chunk.decode("utf-8", "replace"))
            elif self.proc.poll() is not None and not select.select([self.primary], [], [], 0.2)[0]:
                raise AssertionError(f"exited {self.proc.returncode} before {text!r}: {self.screen[-2000:]!r}")
        at = self.screen.index(text, self.seen)
        before, self.seen = self.screen[self.seen : at], at + len(text)
        return before

    def press(self, keys: str) -> None:
        os.write(self.primary, keys.encode())

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            if select.select([self.primary], [], [], 0.2)[0]:
                try:
                    self.screen += ANSI.sub("", os.read(self.primary, 65536).decode("utf-8", "replace"))
                except OSError:
                    break
        code = self.proc.wait(timeout=max(5.0, deadline - time.monotonic()))  # the pty may close before it exits
        self.modes = termios.tcgetattr(self.secondary)  # what the terminal is left in
        os.close(self.primary)
        os.close(self.secondary)
        return code


@pytest.fixture
def three_changes(tmp_path):
    """Acme: A -> B -> C -> A, three changes to review."""
    store = build(
        tmp_path,
        [
            ("20180101000000", "A", A),
            ("20190101000000", "B", B),
            ("20200101000000", "C", C),
            ("20210101000000", "A", A),
        ],
    )
    derive(store)
    store.close()
    return tmp_path / "t.db"


def judgements(db) -> list[tuple]:
    return rows(
        db,
        "SELECT ch.position, a.verdict, a.note, a.author, a.source FROM annotations a"
        " JOIN changes ch ON ch.key = a.change_key ORDER BY ch.position",
    )


def test_review_walks_the_changes_one_key_each_saves_at_once_and_resumes(three_changes):
    db = three_changes
    term = Terminal("Acme", "--db", str(db))
    term.expect("3 change(s) without a judgement")
    shown = term.expect(PROMPT)
    assert "Change 1 of 3 · Acme — privacy policy" in shown and "between 2018-01-01T00:00:00Z and 2019-01-01" in shown
    assert "[modified] substantive" in shown and "advertising partners" in shown  # the clause diff
    term.press("n")
    term.expect("Note: ")
    term.press("a banner read as policy text\r")
    term.expect("(note: a banner read as policy text)")
    term.press("f")
    term.expect("Saved: false (a banner read as policy text)")
    assert judgements(db) == [(0, "false", "a banner read as policy text", "tester", "review")]  # saved at once
    assert "Change 2 of 3" in term.expect(PROMPT)
    term.press(" ")
    term.expect("Skipped.")
    assert "Change 3 of 3" in term.expect(PROMPT)
    term.press("q")
    assert term.finish() == 0
    assert "1 judged, 1 skipped; 2 change(s) of Acme without a judgement" in term.screen
    assert "Derived Acme again" in term.screen and "Traceback" not in term.screen
    lflag = term.modes[3]
    assert lflag & termios.ICANON and lflag & termios.ECHO  # the terminal is given back as it was
    # derived on the way out: the false change joins its spans, and stays visible as overridden
    assert rows(db, "SELECT count(*) FROM policy_timeline") == [(3,)]
    assert rows(db, "SELECT review_state FROM policy_changes ORDER BY position") == [
        ("overridden",),
        ("unreviewed",),
        ("unreviewed",),
    ]

    again = Terminal("Acme", "--db", str(db))
    again.expect("2 change(s) without a judgement")
    assert "Change 1 of 2" in again.expect(PROMPT) and "2019-01-01T00:00:00Z and 2020-01-01" in again.screen
    again.press("?")
    again.expect("space  skip")
    again.press("x")  # not a key of the review: asked again
    again.expect(PROMPT)
    again.press("a")
    again.expect("Saved: accepted")
    again.expect(PROMPT)
    again.press("s")
    assert again.finish() == 0
    assert [j[:2] for j in judgements(db)] == [(0, "false"), (1, "accepted"), (2, "substantive")]
    assert rows(db, "SELECT review_state FROM policy_changes ORDER BY position") == [
        ("overridden",),
        ("reviewed",),
        ("reviewed",),
    ]

    done = Terminal("Acme", "--db", str(db))
    assert done.finish() == 0 and "every change has a judgement; nothing to review" in done.screen


def test_ctrl_c_keeps_what_was_judged_derives_and_exits_130(three_changes):
    term = Terminal("acme", "--db", str(three_changes))
    term.expect(PROMPT)
    term.press("c")
    term.expect(PROMPT)
    os.killpg(term.proc.pid, signal.SIGINT)
    assert term.finish() == 130
    assert [j[:2] for j in judgements(three_changes)] == [(0, "cosmetic")]
    assert "Derived Acme again" in term.screen and "Traceback" not in term.screen
    assert term.modes[3] & termios.ICANON


def test_sigterm_ends_review_as_ctrl_c_does(three_changes):
    term = Terminal("acme", "--db", str(three_changes))
    term.expect(PROMPT)
    term.press("c")
    term.expect(PROMPT)
    term.proc.send_signal(signal.SIGTERM)
    assert term.finish() == 130
    assert [j[:2] for j in judgements(three_changes)] == [(0, "cosmetic")]
    assert "Derived Acme again" in term.screen and "Traceback" not in term.screen


def test_review_refuses_an_unknown_company_and_a_missing_database(three_changes, tmp_path):
    from .conftest import run_cli

    unknown = run_cli("review", "Nobody", "--db", str(three_changes))
    assert unknown.returncode == 2 and "no company 'Nobody'" in unknown.stderr and "known: 'Acme'" in unknown.stderr
    missing = run_cli("review", "Acme", "--db", str(tmp_path / "typo.db"))
    assert missing.returncode == 2 and "no database at" in missing.stderr
    assert not (tmp_path / "typo.db").exists()
