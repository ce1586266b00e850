"""Politeness as the archive sees it (from the shim's request log), 429s, and the archive-only guard."""

from __future__ import annotations

import asyncio
import sqlite3
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionRefusedError

from crawler.crawl.middlewares import ArchiveGuardMiddleware, ArchiveReachabilityMiddleware, retry_after_seconds
from crawler.errors import ArchiveUnreachable

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


class StoppingSpider:
    """Stands for the spider: records why the crawl was stopped."""

    def __init__(self):
        self.stopped: list[tuple] = []

    def stop(self, error, reason):
        self.stopped.append((error, reason))


def reachability() -> tuple[ArchiveReachabilityMiddleware, StoppingSpider]:
    crawler = get_crawler(settings_dict={"POLICYTRAIL_ARCHIVE": "http://127.0.0.1:8080"})
    crawler.spider = StoppingSpider()
    crawler.engine = SimpleNamespace(downloader=SimpleNamespace(slots={}))
    return ArchiveReachabilityMiddleware.from_crawler(crawler), crawler.spider


def attempt(mw, url: str, exception: Exception | None, retry: int = 0):
    """One attempt of ``url``: sent, then failed with ``exception`` or answered (None)."""
    request = Request(f"http://127.0.0.1:8080/{url}", meta={"retry_times": retry} if retry else {})
    mw.process_request(request)
    if exception is None:
        return mw.process_response(request, Response(request.url, status=503))
    return mw.process_exception(request, exception)


REFUSED = ConnectionRefusedError("Connection refused")


def test_refused_connections_in_a_row_stop_the_crawl_once_and_silence_the_rest():
    mw, spider = reachability()
    assert attempt(mw, "a", REFUSED) is None  # retried as before
    assert attempt(mw, "b", REFUSED) is None
    with pytest.raises(IgnoreRequest):  # the third in a row, a retry of the first: the verdict
        attempt(mw, "a", REFUSED, retry=1)
    (error, reason), *more = spider.stopped
    assert not more and reason == "archive_unreachable" and isinstance(error, ArchiveUnreachable)
    assert error.exit_code == 3 and "could not be reached" in str(error) and "Connection refused" in str(error)
    with pytest.raises(IgnoreRequest):  # no retry, no error line per request after the verdict
        attempt(mw, "c", REFUSED)
    assert len(spider.stopped) == 1


def test_an_answer_in_between_or_while_a_request_was_pending_keeps_the_archive_reachable():
    mw, spider = reachability()
    attempt(mw, "a", REFUSED)
    attempt(mw, "b", REFUSED)
    attempt(mw, "c", None)  # any HTTP answer, even a 503
    attempt(mw, "d", REFUSED)
    attempt(mw, "e", REFUSED)
    slow = Request("http://127.0.0.1:8080/slow")
    mw.process_request(slow)
    attempt(mw, "f", None)  # answered while /slow was pending
    mw.process_exception(slow, DownloadTimeoutError("took longer than 60 seconds"))
    attempt(mw, "g", REFUSED)
    assert spider.stopped == []


def test_one_url_that_keeps_timing_out_is_not_taken_for_the_archive():
    mw, spider = reachability()
    for retry in range(4):
        assert attempt(mw, "slow", DownloadTimeoutError("took longer than 1 seconds"), retry=retry) is None
    assert spider.stopped == []
    attempt(mw, "other", DownloadTimeoutError("took longer than 1 seconds"))
    with pytest.raises(IgnoreRequest):  # three different URLs timing out in a row: the verdict
        attempt(mw, "third", DownloadTimeoutError("took longer than 1 seconds"))
    assert [reason for _, reason in spider.stopped] == ["archive_unreachable"]
