"""Exports: stable CSV/JSONL columns, Markdown, an Atom feed feedparser reads, a WARC pywb replays."""

from __future__ import annotations

import csv
import json
import urllib.request

import feedparser
import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from crawler.cli import cli
from crawler.localarchive.pywb import LocalArchive
from crawler.outputs.exports import CHANGE_COLUMNS, CLAUSE_COLUMNS, VERSION_COLUMNS


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
