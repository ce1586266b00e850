"""Exports: stable CSV/JSONL columns, Markdown, an Atom feed feedparser reads, a WARC pywb replays."""

from __future__ import annotations

import csv
import json
import os
import urllib.request
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import cli
from crawler.localarchive.pywb import LocalArchive
from crawler.outputs.exports import CHANGE_COLUMNS, CLAUSE_COLUMNS, VERSION_COLUMNS

from .conftest import run_cli
from .unprivileged import own, run_cli_unprivileged


def export(db, fmt, out):
    result = CliRunner().invoke(cli, ["export", "--format", fmt, "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_tabular_exports_have_the_documented_columns(hostile_db, tmp_path, fmt):
    export(hostile_db, fmt, tmp_path / "x")
    for name, columns in (
        ("versions", VERSION_COLUMNS),
        ("changes", CHANGE_COLUMNS),
        ("clause_changes", CLAUSE_COLUMNS),
    ):
        path = tmp_path / "x" / f"{name}.{fmt}"
        if fmt == "csv":
            rows = list(csv.DictReader(path.open()))
        else:
            rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert rows and list(rows[0]) == columns, name
        if name == "changes":
            assert {c["company"] for c in rows} == {"Acme", "Evil <b>Corp</b>"}


def test_markdown_neutralises_archived_html(hostile_db, tmp_path):
    export(hostile_db, "markdown", tmp_path / "md")
    text = (tmp_path / "md" / "evil-b-corp-b.md").read_text()
    assert "&lt;script&gt;" in text and "<script" not in text and "<img" not in text


def test_atom_feed_parses_with_entry_ids_that_a_late_capture_does_not_move(hostile_db, tmp_path):
    from crawler.derive import derive
    from crawler.store import Store

    from .test_derive import B
    from .test_storage import capture, snapshot

    export(hostile_db, "atom", tmp_path / "a.atom")
    # the archive indexes a capture of B late, inside the first change's window: the window moves,
    # the feed's entries keep their ids (a reader's feed does not show the change again)
    store = Store(hostile_db)
    tid = store.query("SELECT id FROM targets WHERE company = 'Acme'")[0][0]
    capture(store, tid, "20181201000000", "B-late")
    snapshot(store, "B-late", "20181201000000", B)
    derive(store)
    store.close()
    export(hostile_db, "atom", tmp_path / "b.atom")
    first, second = feedparser.parse(str(tmp_path / "a.atom")), feedparser.parse(str(tmp_path / "b.atom"))
    assert not first.bozo and len(first.entries) == 3
    assert sorted(e.id for e in first.entries) == sorted(e.id for e in second.entries)
    assert sorted(e.updated for e in first.entries) != sorted(e.updated for e in second.entries)
    assert all(e.id.startswith("tag:policytrail,2026:changes:change:") for e in first.entries)
    evil = next(e for e in first.entries if "Evil" in e.title)
    assert "<script>" not in evil.content[0].value.replace("&lt;script&gt;", "")


def judge_acme(db) -> None:
    """Acme's A -> B judged false (with a note that tries markup), B -> A accepted with a topic."""
    first, second = (
        f"acme-{k}" for (k,) in sqlite3_rows(db, "SELECT key FROM changes ORDER BY document_id, position")[:2]
    )
    for args in (
        ["change", first, "--false", "--note", "<b>banner</b> & chrome", "--author", "alice"],
        ["change", second, "--accept", "--topic", "sale", "--author", "bob"],
    ):
        result = CliRunner().invoke(cli, ["annotate", *args, "--db", str(db)])
        assert result.exit_code == 0, result.output


def sqlite3_rows(db, sql):
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_exports_and_the_feed_carry_each_changes_review_state_and_override(hostile_db, tmp_path):
    judge_acme(hostile_db)
    export(hostile_db, "csv", tmp_path / "csv")
    changes = {r["change_id"]: r for r in csv.DictReader((tmp_path / "csv" / "changes.csv").open())}
    false, accepted, evil = sorted(changes.values(), key=lambda r: (r["company"], r["window_end"]))
    assert (false["review_state"], false["judgement"], false["significance"], false["in_timeline"]) == (
        "overridden",
        "false",
        "false",
        "0",
    )
    assert false["judged_by"] == "alice" and false["judgement_note"] == "<b>banner</b> & chrome"
    assert (accepted["review_state"], accepted["judgement_topics"], accepted["in_timeline"]) == (
        "reviewed",
        '["sale"]',
        "1",
    )
    assert (evil["review_state"], evil["judgement"]) == ("unreviewed", "")
    versions = [r for r in csv.DictReader((tmp_path / "csv" / "versions.csv").open()) if r["company"] == "Acme"]
    assert [json.loads(v["joined_changes"]) for v in versions] == [[false["change_id"][len("acme-") :]], []]
    assert [v["capture_count"] for v in versions] == ["2", "1"]

    export(hostile_db, "atom", tmp_path / "feed.atom")
    feed = feedparser.parse(str(tmp_path / "feed.atom"))
    assert not feed.bozo
    by_id = {e.id.rsplit(":", 1)[1]: e for e in feed.entries}
    judged = by_id[false["change_id"]]
    assert judged.title.startswith("[judged false] Acme")
    terms = {(t.get("scheme"), t.term) for t in judged.tags}
    assert ("tag:policytrail,2026:review-state", "overridden") in terms
    assert ("tag:policytrail,2026:significance", "false") in terms
    assert "Judged false by alice on " in judged.summary and "<b>banner</b> & chrome" in judged.summary
    assert "sale" in {t.term for t in by_id[accepted["change_id"]].tags}

    export(hostile_db, "markdown", tmp_path / "md")
    text = (tmp_path / "md" / "acme.md").read_text()
    assert "> **Overridden.** Judged false by alice on " in text and "&lt;b&gt;banner&lt;/b&gt;" in text
    assert "1 changes (and 1 judged false)" in text


def test_warc_export_is_read_by_warcio_and_replayed_by_pywb(hostile_db, tmp_path):
    import sqlite3
    import zlib

    export(hostile_db, "warc", tmp_path / "s.warc.gz")
    with (tmp_path / "s.warc.gz").open("rb") as fh:
        records = [
            (
                r.rec_headers.get_header("WARC-Target-URI"),
                r.rec_headers.get_header("WARC-Date"),
                r.content_stream().read(),
            )
            for r in ArchiveIterator(fh)
            if r.rec_type == "response"
        ]
    conn = sqlite3.connect(hostile_db)
    stored = {zlib.decompress(b) for (b,) in conn.execute("SELECT body FROM snapshots")}
    assert {r[2] for r in records} == stored
    local = LocalArchive(tmp_path / "replay")
    local.build([tmp_path / "s.warc.gz"])
    with local:
        uri, date, body = next(r for r in records if "evil" in r[0])
        ts = date.replace("-", "").replace(":", "").replace("T", "").rstrip("Z")
        with urllib.request.urlopen(f"{local.url}/web/{ts}id_/{uri}") as resp:
            assert resp.read() == body


# --------------------------------------------------------------------------- where exports may write


def _one_error_line(result, *fragments: str) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ") and all(f in line for f in fragments), line
    return line


def _bytes_of(db: Path) -> bytes:
    return db.read_bytes()


@pytest.mark.parametrize("name", ["same file", "symlink", "hard link", "wal", "lock"])
@pytest.mark.parametrize("fmt", ["atom", "warc"])
def test_an_export_never_writes_over_its_database_whatever_the_name(hostile_db, tmp_path, name, fmt):
    before = _bytes_of(hostile_db)
    out = {"same file": hostile_db, "wal": Path(f"{hostile_db}-wal"), "lock": Path(f"{hostile_db}.lock")}.get(name)
    if name == "symlink":
        out = tmp_path / "elsewhere" / "feed.xml"
        out.parent.mkdir()
        out.symlink_to(hostile_db)
    elif name == "hard link":
        out = tmp_path / "elsewhere" / "feed.xml"
        out.parent.mkdir()
        os.link(hostile_db, out)
    for force in ((), ("--force",)):
        result = run_cli("export", "--format", fmt, "--out", str(out), "--db", str(hostile_db), *force)
        assert result.returncode == 2, result.stderr
        _one_error_line(result, str(out), "database")
        assert _bytes_of(hostile_db) == before
    if name in ("wal", "lock"):  # (SQLite may leave an empty -wal beside a database it read)
        assert not out.exists() or out.read_bytes()[:2] not in (b"<?", b"\x1f\x8b")


def test_a_tabular_export_never_writes_over_its_database_in_the_folder(hostile_db, tmp_path):
    """The database is named like one of the files the export writes, in the folder it writes to."""
    out = tmp_path / "x"
    out.mkdir()
    db = out / "versions.csv"
    db.write_bytes(hostile_db.read_bytes())
    before = db.read_bytes()
    result = run_cli("export", "--format", "csv", "--out", str(out), "--db", str(db), "--force")
    assert result.returncode == 2, result.stderr
    _one_error_line(result, str(db), "database")
    assert db.read_bytes() == before


def test_an_existing_file_is_overwritten_only_with_force(hostile_db, tmp_path):
    feed = tmp_path / "feed.atom"
    feed.write_text("mine")
    result = run_cli("export", "--format", "atom", "--out", str(feed), "--db", str(hostile_db))
    assert result.returncode == 2
    _one_error_line(result, str(feed), "--force")
    assert feed.read_text() == "mine"
    forced = run_cli("export", "--format", "atom", "--out", str(feed), "--db", str(hostile_db), "--force")
    assert forced.returncode == 0, forced.stderr
    assert feed.read_text().startswith("<?xml")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "markdown"])
def test_a_folder_that_is_not_empty_is_written_into_only_with_force(hostile_db, tmp_path, fmt):
    out = tmp_path / "x"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = run_cli("export", "--format", fmt, "--out", str(out), "--db", str(hostile_db))
    assert result.returncode == 2
    _one_error_line(result, str(out), "--force")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    forced = run_cli("export", "--format", fmt, "--out", str(out), "--db", str(hostile_db), "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(list(out.iterdir())) > 1 and (out / "notes.txt").read_text() == "mine"


def test_an_empty_folder_needs_no_force(hostile_db, tmp_path):
    (tmp_path / "x").mkdir()
    export(hostile_db, "csv", tmp_path / "x")
    assert (tmp_path / "x" / "versions.csv").exists()


# --------------------------------------------------------------------------- failures to write: one line each


def test_a_file_format_pointed_at_a_folder_says_so(hostile_db, tmp_path):
    (tmp_path / "feed").mkdir()
    result = run_cli("export", "--format", "atom", "--out", str(tmp_path / "feed"), "--db", str(hostile_db), "--force")
    assert result.returncode == 2
    _one_error_line(result, str(tmp_path / "feed"), "is a folder")


def test_a_folder_format_pointed_at_a_file_says_so(hostile_db, tmp_path):
    (tmp_path / "x").write_text("mine")
    result = run_cli("export", "--format", "csv", "--out", str(tmp_path / "x"), "--db", str(hostile_db), "--force")
    assert result.returncode == 2
    _one_error_line(result, str(tmp_path / "x"), "not a folder")
    assert (tmp_path / "x").read_text() == "mine"


@pytest.mark.parametrize("fmt", ["atom", "warc"])
def test_a_full_disk_is_one_line_and_exit_1(hostile_db, fmt):
    result = run_cli("export", "--format", fmt, "--out", "/dev/full", "--db", str(hostile_db), "--force")
    assert result.returncode == 1, result.stderr
    _one_error_line(result, "/dev/full", "No space left on device")


@pytest.mark.parametrize(("fmt", "out"), [("csv", "ro/x"), ("markdown", "ro"), ("atom", "ro/feed.atom")])
def test_a_folder_the_user_cannot_write_is_one_line_and_exit_2(hostile_db, tmp_path, fmt, out):
    ro = tmp_path / "ro"
    ro.mkdir()
    own(hostile_db.parent, hostile_db, ro)
    ro.chmod(0o555)
    try:
        result = run_cli_unprivileged("export", "--format", fmt, "--out", str(tmp_path / out), "--db", str(hostile_db))
    finally:
        ro.chmod(0o755)
    assert result.returncode == 2, result.stderr
    _one_error_line(result, str(tmp_path / out), "Permission denied")
    assert list(ro.iterdir()) == []


@pytest.mark.parametrize("feed_id", ["", "   ", "changes", "policytrail changes", "tag:a b", "tag:x\x00y", ":nothing"])
def test_a_feed_id_that_is_not_an_absolute_iri_is_refused_and_nothing_written(hostile_db, tmp_path, feed_id):
    out = tmp_path / "feed.atom"
    result = CliRunner().invoke(
        cli, ["export", "--format", "atom", "--out", str(out), "--feed-id", feed_id, "--db", str(hostile_db)]
    )
    assert result.exit_code == 2 and "--feed-id" in result.output, result.output
    assert not out.exists()


def test_any_absolute_iri_is_a_feed_id(hostile_db, tmp_path):
    out = tmp_path / "feed.atom"
    feed_id = "urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6"
    result = CliRunner().invoke(
        cli, ["export", "--format", "atom", "--out", str(out), "--feed-id", feed_id, "--db", str(hostile_db)]
    )
    assert result.exit_code == 0, result.output
    feed = feedparser.parse(str(out))
    assert not feed.bozo and feed.feed.id == feed_id and feed.entries[0].id.startswith(feed_id + ":change:")
