"""Downloader middlewares: keep the crawl inside the archive, honour its 429s, stop early when it is unreachable."""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    NoRouteError,
    TCPTimedOutError,
    TimeoutError,
)

from crawler.crawl.scrapy_compat import drop_queued_requests, hold_download_slots
from crawler.errors import ArchiveUnreachable, RateLimited

logger = logging.getLogger(__name__)

# Never wait longer than this for one Retry-After; a longer ask stops the crawl instead.
MAX_RETRY_AFTER = 15 * 60

# Failures that say the archive's host could not be reached at all (no HTTP answer). A reset or a
# cut body is not one: the host answered, and a retry usually gets the whole answer.
CONNECTION_FAILURES = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    DownloadTimeoutError,
    ConnectionRefusedError,
    DNSLookupError,
    NoRouteError,
    TCPTimedOutError,
    TimeoutError,
)

# Of those, the ones that concern the host, not one URL: a refused connection, an unknown name, no route.
HOST_FAILURES = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    ConnectionRefusedError,
    DNSLookupError,
    NoRouteError,
)

# This many connection failures in a row, each of a request sent after the archive's last answer, mean
# the archive is unreachable: the crawl stops (exit 3) instead of trying every target in turn (46
# targets took 459 s at the CDX rate limit; 10,000 would take a day). More than one, so that a blip is
# retried as before; few, so that the verdict comes within seconds (3 CDX requests at 24 a minute).
# A timeout may be one slow URL, so the retries of one request that times out count once: a single
# capture that keeps timing out is never taken for the whole archive.
UNREACHABLE_AFTER = 3


def retry_after_seconds(value: bytes | str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return default
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


class ArchiveGuardMiddleware:
    """Refuse any request outside the archive's host; turn live 429s into a paused, polite crawl.

    An archived 429 (a capture of a 429 page, marked by ``Memento-Datetime``) is data and passes.
    A live 429 pauses every request for Retry-After seconds (60 when absent) and re-schedules
    the request; after ``POLICYTRAIL_MAX_429_IN_A_ROW`` in a row the crawl closes with reason
    ``rate_limited`` and everything not yet handled stays pending for the next run.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.archive = settings.get("POLICYTRAIL_ARCHIVE")
        self.netloc = urlsplit(self.archive).netloc.lower()
        self.default_wait = settings.getfloat("POLICYTRAIL_RETRY_AFTER_DEFAULT")
        self.max_in_a_row = settings.getint("POLICYTRAIL_MAX_429_IN_A_ROW")
        self.in_a_row = 0
        self.resume_at = 0.0
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request):
        if urlsplit(request.url).netloc.lower() != self.netloc:
            self.crawler.stats.inc_value("policytrail/refused_outside_archive")
            logger.error("Refused a request outside the archive (%s): %s", self.netloc, request.url)
            raise IgnoreRequest(f"outside the archive: {request.url}")
        wait = self.resume_at - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if self.stopping:
            raise IgnoreRequest("the crawl is stopping on rate limits")
        return None

    def process_response(self, request: Request, response: Response):
        if response.status != 429 or b"Memento-Datetime" in response.headers:
            self.in_a_row = 0
            return response
        self.in_a_row += 1
        stats = self.crawler.stats
        stats.inc_value("policytrail/http_429")
        wait = retry_after_seconds(response.headers.get(b"Retry-After"), self.default_wait)
        stats.set_value("policytrail/last_retry_after", wait)
        if self.in_a_row >= self.max_in_a_row or wait > MAX_RETRY_AFTER:
            if not self.stopping:
                self.stopping = True
                self._drop_queued_requests()  # nothing else leaves while the crawl closes
                logger.error(
                    "The archive answered 429 %d times in a row (Retry-After %.0f s): stopping; "
                    "progress is saved, run again later.",
                    self.in_a_row,
                    wait,
                )
                self.crawler.spider.stop(
                    RateLimited(
                        f"Stopped: {self.archive} kept answering 429 Too Many Requests. Progress is saved; "
                        f"run the same command again in {max(wait / 60, 60):.0f} minutes or more.",
                        retry_after=wait,
                    ),
                    reason="rate_limited",
                )
            raise IgnoreRequest("rate limited")
        self.resume_at = max(self.resume_at, time.monotonic() + wait)
        self._hold_download_slots(wait)
        logger.warning("429 from the archive for %s: pausing all requests for %.1f s", request.url, wait)
        retry = request.replace(dont_filter=True)
        retry.meta["policytrail_429_retries"] = request.meta.get("policytrail_429_retries", 0) + 1
        return retry

    def _drop_queued_requests(self) -> None:
        """Fail the requests waiting in download slots with IgnoreRequest: they stay pending."""
        drop_queued_requests(self.crawler.engine.downloader, IgnoreRequest("the crawl is stopping on rate limits"))

    def _hold_download_slots(self, wait: float) -> None:
        """Keep requests already queued in download slots from leaving before Retry-After.

        ``process_request`` holds requests that have not reached a slot yet; requests already
        waiting in a slot's queue are held by the slot's own timer (crawler/crawl/scrapy_compat.py,
        the one module that reaches into Scrapy's downloader); test_middlewares checks the effect
        from the archive's side.
        """
        hold_download_slots(self.crawler.engine.downloader, wait)


class ArchiveReachabilityMiddleware:
    """Stop the crawl, early and in one line, when the archive cannot be reached at all.

    Placed next to the downloader (after RetryMiddleware, see settings), it sees every attempt,
    retries included: any HTTP answer clears the count; a connection failure (``CONNECTION_FAILURES``)
    of a request sent after the last answer counts (each attempt for a failure of the host, each URL
    once for a timeout). At ``UNREACHABLE_AFTER`` the spider stops with ``ArchiveUnreachable``
    (reason ``archive_unreachable``, exit 3); from then on every request and failure ends as
    IgnoreRequest, so captures stay pending and neither Scrapy's retries nor the spider's errbacks
    log an error line per URL: the verdict is the one message.
    """

    SENT_AT = "policytrail_sent_at"

    def __init__(self, crawler):
        self.crawler = crawler
        self.archive = crawler.settings.get("POLICYTRAIL_ARCHIVE")
        self.last_answer = float("-inf")
        self.failing: dict[tuple, str] = {}  # (URL, attempt or None for a timeout) -> why, since the last answer
        self.unreachable = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        if self.unreachable:
            raise IgnoreRequest("the archive cannot be reached")
        request.meta[self.SENT_AT] = time.monotonic()
        return None

    def process_response(self, request: Request, response: Response):
        self.last_answer = time.monotonic()
        self.failing.clear()
        return response

    def process_exception(self, request: Request, exception: Exception):
        if self.unreachable:
            raise IgnoreRequest("the archive cannot be reached")
        # an answer that came while this request was pending shows the archive reachable: no count
        if not isinstance(exception, CONNECTION_FAILURES) or request.meta.get(self.SENT_AT, 0) < self.last_answer:
            return None  # RetryMiddleware decides
        attempt = request.meta.get("retry_times", 0) if isinstance(exception, HOST_FAILURES) else None
        why = self.failing[request.url, attempt] = (str(exception) or type(exception).__name__).strip()[:200]
        if len(self.failing) < UNREACHABLE_AFTER:
            return None
        self.unreachable = True
        drop_queued_requests(self.crawler.engine.downloader, IgnoreRequest("the archive cannot be reached"))
        logger.info(
            "%d connections in a row could not reach %s: stopping the crawl (%s)",
            len(self.failing),
            self.archive,
            "; ".join(f"{url}: {why}" for (url, _), why in self.failing.items()),
        )
        self.crawler.spider.stop(
            ArchiveUnreachable(
                f"The archive at {self.archive} could not be reached: {len(self.failing)} connections in a row "
                f"failed ({why}). Check the network (or --archive), then run the same command again: nothing was lost."
            ),
            reason="archive_unreachable",
        )
        raise IgnoreRequest("the archive cannot be reached")
