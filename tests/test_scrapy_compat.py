"""The Scrapy internals in crawler/crawl/scrapy_compat.py, exercised on the installed Scrapy's own
downloader: a Scrapy upgrade that moves them fails here, not in the middle of a rate-limited crawl."""

from __future__ import annotations

import asyncio
import time

import pytest
import scrapy
from scrapy import Request
from scrapy.core.downloader import Downloader
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from crawler.crawl.scrapy_compat import TESTED_SCRAPY, drop_queued_requests, hold_download_slots, queued_requests

SLOT = "compat-slot"


def downloader(delay: float) -> Downloader:
    """A real downloader with one slot sending a request every ``delay`` seconds (data: URIs, no network)."""
    crawler = get_crawler(
        settings_dict={
            "DOWNLOAD_SLOTS": {SLOT: {"concurrency": 1, "delay": delay, "jitter": 0}},
            "DOWNLOADER_MIDDLEWARES_BASE": {},
            "DOWNLOAD_HANDLERS_BASE": {"data": "scrapy.core.downloader.handlers.datauri.DataURIDownloadHandler"},
        }
    )
    crawler.spider = scrapy.Spider.from_crawler(crawler, name="compat")
    return Downloader(crawler)


def fetch(d: Downloader, n: int) -> asyncio.Future:
    request = Request(f"data:,{n}", meta={"download_slot": SLOT}, dont_filter=True)
    return asyncio.ensure_future(d.fetch(request).asFuture(asyncio.get_running_loop()))


def test_the_installed_scrapy_is_the_version_the_compat_module_was_tested_with():
    assert tuple(int(p) for p in scrapy.__version__.split(".")[:2]) == TESTED_SCRAPY


def test_held_slots_send_nothing_before_the_hold_ends():
    async def scenario():
        d = downloader(delay=0.05)
        first = fetch(d, 1)
        await first  # the slot exists and has just sent a request
        second = fetch(d, 2)
        await asyncio.sleep(0)
        assert [r.url for r in queued_requests(d)[SLOT]] == ["data:,2"]
        held_at = time.monotonic()
        hold_download_slots(d, 1.0)
        response = await asyncio.wait_for(second, timeout=30)
        waited = time.monotonic() - held_at
        d.close()
        return response, waited

    response, waited = asyncio.run(scenario())
    assert response.body == b"2"
    # without the hold it leaves after the slot's 0.05 s delay; a loaded machine only adds time
    assert waited >= 1.0 * 0.95


def test_dropped_requests_fail_with_the_error_given_and_leave_the_slots_empty():
    async def scenario():
        d = downloader(delay=60)  # after the first request, the others wait a minute in the slot
        first = fetch(d, 1)
        await first
        waiting = [fetch(d, n) for n in (2, 3)]
        await asyncio.sleep(0)
        assert len(queued_requests(d)[SLOT]) == 2
        dropped = drop_queued_requests(d, IgnoreRequest("stopping"))
        results = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), timeout=10)
        left = queued_requests(d)
        d.close()
        return dropped, results, left

    dropped, results, left = asyncio.run(scenario())
    assert dropped == 2 and left == {SLOT: []}
    assert all(isinstance(r, IgnoreRequest) and str(r) == "stopping" for r in results), results


@pytest.mark.parametrize("hold", [0.5])
def test_holding_an_idle_downloader_is_harmless(hold):
    async def scenario():
        d = downloader(delay=0)
        hold_download_slots(d, hold)  # no slot yet: nothing to hold, nothing fails
        assert drop_queued_requests(d, IgnoreRequest("x")) == 0
        response = await asyncio.wait_for(fetch(d, 1), timeout=10)
        d.close()
        return response

    assert asyncio.run(scenario()).body == b"1"
