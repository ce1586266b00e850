"""Politeness as the archive sees it (from the shim's request log), 429s, and the archive-only guard."""

from __future__ import annotations

import asyncio
import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from crawler.crawl.middlewares import ArchiveGuardMiddleware, retry_after_seconds

from .archive_shim import Fault
from .conftest import content, crawl, rows

TARGET_URLS = ["https://www.acme.example/privacy", "https://www.acme.example/legal/privacy"]


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:])]


def test_per_endpoint_limits_hold_as_the_archive_sees_them(ia_shim, tmp_path):
    result = crawl(
        ia_shim, tmp_path / "t.db", "--cdx-per-minute", "120", "--mementos-per-minute", "600", throttled=True
    )
    assert result.returncode == 0, result.stderr
    cdx = [r.at for r in ia_shim.requests("/cdx/")]
    mementos = [r.at for r in ia_shim.requests("/web/")]
    assert len(cdx) == 3 and len(mementos) >= 8
    # 120/min -> one CDX request per 0.5 s; 600/min -> one memento per 0.1 s (5 % clock slack)
    assert min(gaps(cdx)) >= 0.5 * 0.95
    assert min(gaps(mementos)) >= 0.1 * 0.95


@pytest.mark.parametrize(
    "retry_after, settings",
    [("2", ()), (None, ("-s", "POLICYTRAIL_RETRY_AFTER_DEFAULT=2"))],
    ids=["with-retry-after", "without-retry-after-waits-the-default"],
)
def test_a_429_pauses_every_request_for_retry_after(ia_shim, tmp_path, retry_after, settings):
    ia_shim.faults.append(Fault("/web/", 429, times=1, retry_after=retry_after))
    result = crawl(
        ia_shim,
        tmp_path / "t.db",
        "--company",
        "Acme",
        "--cdx-per-minute",
        "600",
        "--mementos-per-minute",
        "600",
        *settings,
        throttled=True,
    )
    assert result.returncode == 0, result.stderr
    pause = 2.0 * 0.95  # Retry-After, less 5 % of clock slack
    log = sorted(ia_shim.requests(), key=lambda r: r.at)
    refused = next(r for r in log if r.status == 429)
    after = [r for r in log if r.at > refused.answered]
    # The request the 429 refused is sent again only once the pause is over: the crawler made
    # that retry after it had the 429, so this holds however slow the machine is.
    retry = next(r for r in after if r.path == refused.path)
    assert retry.at - refused.answered >= pause, retry
    # Any other request inside the pause was already on its way when the crawler had the 429: at
    # most as many as the download slots send at once (no time window: a loaded machine may
    # deliver them late). Without the pause, all the crawl's remaining requests, more than that,
    # would arrive inside it, 0.1 s apart. (That requests waiting in a slot are held is checked on
    # Scrapy's own downloader in test_scrapy_compat.)
    on_their_way = sum(slot["concurrency"] for slot in _download_slots(ia_shim.url).values())
    assert len(after) > on_their_way  # so that a crawl that did not pause would fail here
    early = [r for r in after if r.at - refused.answered < pause]
    assert len(early) <= on_their_way, early
    # the refused memento was fetched after the pause; nothing is left pending
    assert rows(tmp_path / "t.db", "SELECT count(*) FROM captures WHERE state IN ('pending', 'failed')") == [(0,)]


def _download_slots(archive: str) -> dict:
    """The download slots of a throttled crawl of ``archive`` (what the spider sets up)."""
    from scrapy.settings import Settings

    from spiders.wayback import politeness_slots

    settings = Settings()
    settings.setmodule("crawler.settings")
    settings.set("POLICYTRAIL_ARCHIVE", archive)
    settings.set("POLICYTRAIL_CDX_PER_MINUTE", 600)
    settings.set("POLICYTRAIL_MEMENTOS_PER_MINUTE", 600)
    return politeness_slots(settings)


def test_repeated_429s_stop_the_crawl_cleanly_with_exit_3(ia_shim, tmp_path):
    ia_shim.faults.append(Fault("/web/", 429, times=100, retry_after="1"))
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db, "--company", "Acme", "--mementos-per-minute", "600", throttled=True)
    assert result.returncode == 3, result.stderr
    assert "429" in result.stderr and "run the same command again" in result.stderr
    assert "Traceback" not in result.stderr
    assert len([r for r in ia_shim.requests("/web/") if r.status == 429]) == 3
    assert rows(db, "SELECT status FROM crawl_runs") == [("rate_limited",)]
    # progress saved: what was listed is kept; the unfetched captures wait for the next run
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM captures WHERE state = 'pending'").fetchone()[0] >= 1
    conn.close()
    # which targets the stopped run had listed captures of (it may have stopped before listing some)
    listed = {
        url
        for (url,) in rows(
            db, "SELECT DISTINCT t.url FROM captures c JOIN targets t ON t.id = c.target_id WHERE c.source = 'cdx'"
        )
    }
    assert listed
    # the next run, with the archive friendly again, completes the work
    ia_shim.faults.clear()
    n = len(ia_shim.requests("/cdx/"))
    again = crawl(ia_shim, db, "--company", "Acme")
    assert again.returncode == 0, again.stderr
    # the rerun lists incrementally (from=...) exactly the targets with captures listed before,
    # yet fetches what the stopped run left pending
    relisted = [parse_qs(urlsplit(r.path).query) for r in ia_shim.requests("/cdx/")[n:]]
    assert sorted(q["url"][0] for q in relisted) == sorted(TARGET_URLS)
    for q in relisted:
        assert ("from" in q) == (q["url"][0] in listed), q
    assert rows(db, "SELECT count(*) FROM captures WHERE state IN ('pending', 'failed')") == [(0,)]
    assert rows(db, "SELECT count(*) FROM captures") == [(9,)]
    # nothing lost, nothing duplicated: the same database as a crawl that was never stopped
    reference = tmp_path / "reference.db"
    assert crawl(ia_shim, reference, "--company", "Acme").returncode == 0
    assert content(db) == content(reference)


@pytest.mark.parametrize("header,expected", [(b"7", 7.0), (None, 60.0), (b"soon", 60.0)])
def test_retry_after_reads_seconds_or_falls_back_to_60(header, expected):
    assert retry_after_seconds(header, 60.0) == expected


def test_guard_refuses_any_host_but_the_archive():
    crawler = get_crawler(
        settings_dict={
            "POLICYTRAIL_ARCHIVE": "http://127.0.0.1:8080",
            "POLICYTRAIL_RETRY_AFTER_DEFAULT": 60,
            "POLICYTRAIL_MAX_429_IN_A_ROW": 3,
        }
    )
    crawler.stats.open_spider()
    guard = ArchiveGuardMiddleware.from_crawler(crawler)
    assert asyncio.run(guard.process_request(Request("http://127.0.0.1:8080/web/2019id_/https://a.example/"))) is None
    for outside in ("http://127.0.0.1:9090/web/2019id_/x", "https://www.krop.com/legal/privacy"):
        with pytest.raises(IgnoreRequest):
            asyncio.run(guard.process_request(Request(outside)))
    assert crawler.stats.get_value("policytrail/refused_outside_archive") == 2
