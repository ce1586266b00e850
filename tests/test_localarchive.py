"""The local pywb archive: loopback only, byte-identical id_ replay, stopped by PID."""

from __future__ import annotations

import urllib.request

import psutil

from crawler.archive import payload_digest

from .conftest import FIXTURES


def test_pywb_listens_on_loopback_only(pywb_archive):
    proc = psutil.Process(pywb_archive.process.pid)
    addresses = {c.laddr.ip for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    assert addresses == {"127.0.0.1"}


def test_id_replay_is_byte_identical(pywb_archive):
    url = f"{pywb_archive.url}/web/20180301000000id_/https://www.acme.example/privacy"
    with urllib.request.urlopen(url) as resp:
        body = resp.read()
        assert resp.headers["Memento-Datetime"] == "Thu, 01 Mar 2018 00:00:00 GMT"
    assert body == (FIXTURES / "archive" / "acme-a-1.html").read_bytes()
    assert payload_digest(body) == payload_digest((FIXTURES / "archive" / "acme-a-1.html").read_bytes())


def test_stop_ends_the_process_it_started(tmp_path):
    from crawler.localarchive.pywb import LocalArchive
    from crawler.localarchive.warc import read_manifest, write_warc

    warc = write_warc(read_manifest(FIXTURES / "archive" / "captures.csv")[:2], tmp_path / "a.warc.gz")
    archive = LocalArchive(tmp_path / "coll")
    archive.build([warc])
    archive.start()
    pid = archive.process.pid
    assert psutil.pid_exists(pid)
    archive.stop()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
