"""``policytrail review COMPANY``: a person walks through the unreviewed changes on a terminal.

Each change shows its window, counts, topics and clause diff (the stored one: what reports
show); one key judges it. Every judgement is stored at once (``annotations``), so quitting, a
Ctrl-C or a closed terminal loses nothing, and the next run starts at the first change still
without a judgement. The company is derived again when the session ends, so the timeline and
the views show the judgements. The database lock is taken only to open the database and for
that derive: a crawl may run while a person thinks (its own derive applies what is saved).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator

import click

from crawler.annotate import change_judgement
from crawler.archive import ts_to_iso
from crawler.derive import compare, derive
from crawler.diff import load_taxonomy
from crawler.errors import EXIT_INTERRUPTED, LockHeld, UnknownCompany, UsageError
from crawler.extract import load_rules
from crawler.outputs.reports import clause_lines
from crawler.store import DatabaseLock, Store

KEYS = {"a": "accepted", "f": "false", "c": "cosmetic", "s": "substantive"}
PROMPT = "[a]ccept  [f]alse  [c]osmetic  [s]ubstantive  [n]ote  [space] skip  [q]uit"
HELP = """  a  accept: the change is as derived
  f  false: not a change of the policy (its two spans are joined; it stays visible as overridden)
  c  cosmetic: a change of form only
  s  substantive: a change of what the policy says
  n  write a note, saved with the next judgement of this change
  space  skip: leave it unreviewed for now
  q  quit (everything judged so far is saved)"""


def _terminal(stream) -> int | None:
    """The file descriptor of ``stream`` when it is a terminal, else None."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None
    return fd if os.isatty(fd) else None


@contextlib.contextmanager
def _keys(stream) -> Iterator[Callable[[], str]]:
    """Read one key at a time: the terminal in cbreak mode (restored whatever happens), else
    characters from a pipe ('' at the end)."""
    fd = _terminal(stream)
    if fd is not None:
        import termios
        import tty

        saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        try:
            yield lambda: os.read(fd, 1).decode("utf-8", "replace")
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    else:
        yield lambda: stream.read(1)


def _read_line(stream, prompt: str) -> str:
    """One line of text, typed with the terminal's usual line editing."""
    fd = _terminal(stream)
    if fd is not None:
        import termios

        cbreak = termios.tcgetattr(fd)
        cooked = list(cbreak)
        cooked[3] |= termios.ICANON | termios.ECHO
        termios.tcsetattr(fd, termios.TCSADRAIN, cooked)
        try:
            click.echo(prompt, nl=False)
            return os.read(fd, 4096).decode("utf-8", "replace").rstrip("\r\n")
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, cbreak)
    click.echo(prompt, nl=False)
    return stream.readline().rstrip("\r\n")


def _open(db: str) -> Store:
    if not os.path.isfile(db):
        Store(db, create=False)  # says there is no database, creates nothing
    with DatabaseLock(db):  # opening for writing may migrate
        Store(db, create=False).close()
    return Store(db, create=False)


def _to_review(store: Store, company: str, document: str | None) -> tuple[str, list[tuple]]:
    """The company's name as stored, and its changes without a judgement in force, in order."""
    known = [r[0] for r in store.query("SELECT DISTINCT company FROM documents")]
    UnknownCompany.check([company], known, str(store.path))
    name = next(c for c in known if c.casefold() == company.casefold())
    rows = store.change_heads_for_review(name)
    if document is not None:
        names = sorted({r[2] for r in rows})
        if document not in names:
            raise UsageError(f"{name} has no document {document!r} with changes; it has {names or 'none'}")
        rows = [r for r in rows if r[2] == document]
    judged: dict[int, set[str]] = {}
    for doc_id in {r[3] for r in rows}:
        judged[doc_id] = set(store.change_judgements(doc_id))
    return name, [r for r in rows if r[5] not in judged[r[3]]]


def _show(store: Store, row: tuple, n: int, total: int, color: bool, limit: int) -> None:
    (change_id, company, document, _, _, key, from_vid, to_vid, _, _, start, end, substantive, cosmetic, tags, *_) = row
    diff = compare(store, from_vid, to_vid, load_taxonomy())
    topics = ", ".join(json.loads(tags)) or "none"
    head = [
        "",
        click.style(f"Change {n} of {total} · {company} — {document}", bold=True) if color else
        f"Change {n} of {total} · {company} — {document}",
        f"between {ts_to_iso(start)} and {ts_to_iso(end)} · {substantive} substantive, {cosmetic} cosmetic"
        f" clause change(s) · topics: {topics}",
        f"id {change_id} · key {key}",
        "",
    ]  # fmt: skip
    click.echo("\n".join(head + clause_lines(diff, color, limit)), color=color)


def _judge(store: Store, row: tuple, author: str, key: Callable[[], str]) -> str:
    """Read keys until one judges, skips or quits the change: returns the judgement, ``skip`` or ``quit``."""
    note = ""
    while True:
        click.echo(PROMPT + (f"  (note: {note})" if note else "") + " > ", nl=False)
        pressed = key()
        click.echo(pressed if pressed.isprintable() and pressed != " " else "")
        if pressed in ("", "q"):  # '' : the end of piped input
            return "quit"
        if pressed == " ":
            click.echo("Skipped.")
            return "skip"
        if pressed in KEYS:
            store.add_annotations([change_judgement(row, KEYS[pressed], [], note, author)], "review")
            click.echo(f"Saved: {KEYS[pressed]}" + (f" ({note})" if note else ""))
            return KEYS[pressed]
        if pressed == "n":
            note = _read_line(sys.stdin, "Note: ").strip()
        elif pressed in ("?", "h"):
            click.echo(HELP)


def run_review(db: str, company: str, document: str | None, author: str, rules: str | None, limit: int) -> None:
    loaded = load_rules(rules)  # a broken rules file: exit 2 before anything
    store = _open(db)
    judged = skipped = 0
    interrupted = False
    try:
        name, rows = _to_review(store, company, document)
        if not rows:
            click.echo(f"{name}: every change has a judgement; nothing to review.", err=True)
            return
        click.echo(f"{name}: {len(rows)} change(s) without a judgement. Press ? for help.", err=True)
        with _keys(sys.stdin) as key:
            try:
                for n, row in enumerate(rows, 1):
                    _show(store, row, n, len(rows), sys.stdout.isatty(), limit)
                    outcome = _judge(store, row, author, key)
                    if outcome == "quit":
                        break
                    skipped += outcome == "skip"
                    judged += outcome != "skip"
            except KeyboardInterrupt:
                interrupted = True
        click.echo(
            f"\n{judged} judged, {skipped} skipped; {len(rows) - judged} change(s) of {name} without a judgement.",
            err=True,
        )
    finally:
        store.close()
    if judged:
        _derive(db, name, loaded)
    if interrupted:
        raise SystemExit(EXIT_INTERRUPTED)


def _derive(db: str, company: str, rules) -> None:
    """Derive the company again under the lock, so the views and reports show the judgements."""
    try:
        with DatabaseLock(db):
            store = Store(db, create=False)
            try:
                report = derive(store, [company], rules)
            finally:
                store.close()
    except LockHeld:
        click.echo(
            "Another policytrail run holds the database: your judgements are saved, and its derive (or the next "
            "crawl, reextract or annotate) applies them.",
            err=True,
        )
        return
    click.echo(f"Derived {company} again: the timeline and the views show your judgements.", err=True)
    for status in report.skip_rules:
        if status.message:
            click.echo(f"Warning: {status.message}", err=True)
