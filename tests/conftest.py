"""Shared fixtures: a real pywb serving WARCs built here with warcio, the IA shim, a decoy live site."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.localarchive.pywb import LocalArchive
from crawler.localarchive.warc import read_manifest, write_warc

from .archive_shim import ArchiveShim
from .redis_server import RedisServer

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


class Decoy:
    """Stands for the live web: the crawler must never send it a request."""

    def __init__(self):
        self.hits: list[str] = []
        decoy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                decoy.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "4")
                self.end_headers()
                self.wfile.write(b"live")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="session")
def decoy():
    d = Decoy()
    yield d
    d.server.shutdown()
    d.server.server_close()


@pytest.fixture(scope="session")
def pywb_archive(tmp_path_factory, decoy):
    """The fixture archive (tests/fixtures/archive) served by a real pywb subprocess."""
    root = tmp_path_factory.mktemp("pywb")
    specs = read_manifest(FIXTURES / "archive" / "captures.csv")
    for spec in specs:
        spec.location = spec.location.replace("{decoy}", decoy.url)
    warc = write_warc(specs, root / "fixture.warc.gz")
    archive = LocalArchive(root / "coll")
    archive.build([warc])
    archive.start()
    yield archive
    archive.stop()


@pytest.fixture
def ia_shim(pywb_archive):
    with ArchiveShim(pywb_archive.url, mode="ia") as shim:
        yield shim


@pytest.fixture
def pywb_shim(pywb_archive):
    with ArchiveShim(pywb_archive.url, mode="pywb") as shim:
        yield shim


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real Redis on 127.0.0.1 (the shared rate budget and work queue of several workers)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The test Redis, emptied for each test."""
    redis_server.flush()
    return redis_server.url


def free_port() -> int:
    """A loopback port nothing listens on (for a server a test starts, or an unreachable archive)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``policytrail`` in a subprocess (Scrapy's reactor runs once per process)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def crawl(
    shim_or_url,
    db: Path,
    *extra: str,
    dialect: str = "ia",
    throttled: bool = False,
    targets: Path = FIXTURES / "archive" / "targets.csv",
) -> subprocess.CompletedProcess:
    """``policytrail crawl`` of the fixture targets; limits lifted unless ``throttled``."""
    base = shim_or_url if isinstance(shim_or_url, str) else shim_or_url.url
    lift = () if throttled else ("--unthrottled",)
    return run_cli(
        "crawl",
        "--targets",
        str(targets),
        "--db",
        str(db),
        "--archive",
        base,
        "--dialect",
        dialect,
        *lift,
        "--format",
        "json",
        *extra,
    )


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def table_counts(db: Path) -> dict[str, int]:
    names = ["targets", "captures", "snapshots", "versions", "spans", "extractions"]
    return {n: rows(db, f"SELECT count(*) FROM {n}")[0][0] for n in names}


@pytest.fixture
def hostile_db(tmp_path):
    """Acme's A -> B -> A history plus a company whose archived page is an attack."""
    from crawler.derive import derive

    from .test_derive import A, B, build
    from .test_history import EVIL
    from .test_storage import capture, snapshot

    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B), ("20200101000000", "A", A)])
    tid = store.upsert_target("Evil <b>Corp</b>", "https://evil.example/privacy", "privacy policy")
    capture(store, tid, "20180101000000", "A", url="https://evil.example/privacy")
    capture(store, tid, "20190101000000", "E", url="https://evil.example/privacy")
    snapshot(store, "E", "20190101000000", EVIL, url="https://evil.example/privacy")
    derive(store)
    store.close()
    return tmp_path / "t.db"


def content(db) -> dict:
    """What a crawl stored, without local ids and clock times: comparable across runs."""
    conn = sqlite3.connect(db)
    q = {
        "captures": "SELECT url, timestamp, digest, state, coalesce(reason, ''), version_id IS NULL FROM captures",
        "snapshots": "SELECT digest, sha256, length, status FROM snapshots",
        "versions": "SELECT d.company, text_hash, first_seen, last_seen, capture_count FROM versions v"
        " JOIN documents d ON d.id = v.document_id WHERE capture_count > 0",
        "spans": "SELECT company, position, text_hash, in_force_from, in_force_to FROM policy_timeline",
        "changes": "SELECT company, position, window_start, window_end, added, removed, modified, moved, split,"
        " merged, tags, change_key FROM policy_changes",
        # the identities readers and feeds rely on: the same whatever the order of the crawl
        "clause_changes": "SELECT ch.key, cc.position, cc.kind, cc.section, cc.old_text, cc.new_text, cc.word_diff"
        " FROM clause_changes cc JOIN changes ch ON ch.id = cc.change_id",
        "lineage": "SELECT v.text_hash, vc.position, vc.lineage FROM version_clauses vc"
        " JOIN versions v ON v.id = vc.version_id",
    }
    out = {name: sorted(conn.execute(sql).fetchall()) for name, sql in q.items()}
    conn.close()
    return out
