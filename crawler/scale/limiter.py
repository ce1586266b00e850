"""One rate budget for every worker: a limiter in Redis per archive endpoint, and a shared pause.

Every request of every worker to the archive takes a token first, from a moving-window limit kept
in Redis by the ``limits`` library (one per endpoint: CDX, mementos, Save Page Now; keyed by the
archive's host, so that workers crawling the same archive share it). Two limits per endpoint: the
configured rate over ``POLICYTRAIL_BUDGET_WINDOW`` seconds (60: the archive counts per minute),
and the same rate spread over the shortest whole number of seconds (no burst of a minute's
budget at once). A live 429 seen by any worker sets a pause key in Redis for its Retry-After:
every worker waits it out before its next request.

The Wayback Machine's budget is per client (per IP, per user), so N workers share one budget on
purpose: more workers never means more requests a minute (docs/scaling.md).

Enabled by ``POLICYTRAIL_REDIS_URL``; a crawl without it never imports this module's libraries.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from crawler.crawl.middlewares import retry_after_seconds
from crawler.scale.queue import connect

logger = logging.getLogger(__name__)

# Endpoints and the settings that give their per-minute rate.
RATE_SETTINGS = {
    "cdx": "POLICYTRAIL_CDX_PER_MINUTE",
    "mementos": "POLICYTRAIL_MEMENTOS_PER_MINUTE",
    "save": "POLICYTRAIL_SAVE_PER_MINUTE",
}
# Added to the window the budget counts over (see SharedBudget): the archive counts arrivals, not tokens.
MARGIN_SECONDS = 1
# The longest a worker sleeps before asking Redis again (a pause may be extended meanwhile).
POLL_SECONDS = 1.0


def _spread(per_minute: float) -> tuple[int, int]:
    """(amount, seconds): the rate over the shortest whole number of seconds that holds one request."""
    seconds = max(1, math.ceil(60.0 / per_minute))
    return max(1, math.floor(per_minute * seconds / 60.0)), seconds


class SharedBudget:
    """Per-endpoint token budgets and the 429 pause of one archive, in one Redis."""

    def __init__(self, redis_url: str, archive: str, per_minute: dict[str, float], window: int = 60):
        from limits import RateLimitItemPerSecond
        from limits.storage import RedisStorage
        from limits.strategies import MovingWindowRateLimiter

        self.redis = connect(redis_url)
        self.limiter = MovingWindowRateLimiter(RedisStorage(redis_url))
        self.scope = urlsplit(archive).netloc.lower() or archive
        self.pause_key = f"policytrail:pause:{self.scope}"
        self.items = {}
        for endpoint, rate in per_minute.items():
            amount, seconds = _spread(rate)
            per_window = max(1, math.floor(rate * window / 60.0))
            self.items[endpoint] = (
                # counted over one second more than the window: a token is taken a few milliseconds
                # before its request reaches the archive, and those delays differ from request to request
                RateLimitItemPerSecond(per_window, window + MARGIN_SECONDS, namespace="policytrail-window"),
                RateLimitItemPerSecond(amount, seconds, namespace="policytrail-spread"),
            )

    def paused_for(self) -> float:
        ms = self.redis.pttl(self.pause_key)
        return ms / 1000.0 if ms and ms > 0 else 0.0

    def pause(self, seconds: float) -> None:
        """Pause every worker for ``seconds`` (a longer pause already set is kept)."""
        if seconds > 0 and self.paused_for() < seconds:
            self.redis.set(self.pause_key, "429", px=int(seconds * 1000))

    def take(self, endpoint: str) -> float:
        """Take one token for ``endpoint``: 0 when taken, else the seconds to wait before asking again."""
        paused = self.paused_for()
        if paused > 0:
            return paused
        for item in self.items[endpoint]:
            if not self.limiter.test(item, self.scope, endpoint):
                stats = self.limiter.get_window_stats(item, self.scope, endpoint)
                return max(0.01, stats.reset_time - time.time())
        for item in self.items[endpoint]:
            if not self.limiter.hit(item, self.scope, endpoint):  # another worker was quicker
                return 0.01
        return 0.0

    def wait(self, endpoint: str) -> float:
        """Block until a token for ``endpoint`` is taken (for code outside Scrapy); returns seconds waited."""
        waited = 0.0
        while (wait := self.take(endpoint)) > 0:
            time.sleep(min(wait, POLL_SECONDS))
            waited += min(wait, POLL_SECONDS)
        return waited


def budget_from_settings(settings) -> SharedBudget | None:
    """The shared budget these settings ask for, or None (no Redis, or limits lifted for a local archive)."""
    url = settings.get("POLICYTRAIL_REDIS_URL")
    if not url:
        return None
    archive = settings.get("POLICYTRAIL_ARCHIVE")
    host = urlsplit(archive).hostname or ""
    if settings.getbool("POLICYTRAIL_UNTHROTTLED") and (host.startswith("127.") or host == "localhost"):
        return None
    rates = {e: settings.getfloat(key) for e, key in RATE_SETTINGS.items() if settings.get(key)}
    return SharedBudget(url, archive, rates, settings.getint("POLICYTRAIL_BUDGET_WINDOW", 60))


class SharedBudgetMiddleware:
    """Downloader middleware: every request to the archive takes a token of its endpoint's shared
    budget (after the archive guard); a live 429 pauses every worker for its Retry-After."""

    def __init__(self, crawler, budget: SharedBudget):
        from spiders.wayback import CDX_SLOT, MEMENTO_SLOT

        self.crawler = crawler
        self.budget = budget
        self.endpoints = {CDX_SLOT: "cdx", MEMENTO_SLOT: "mementos"}
        self.default_wait = crawler.settings.getfloat("POLICYTRAIL_RETRY_AFTER_DEFAULT")

    @classmethod
    def from_crawler(cls, crawler):
        budget = budget_from_settings(crawler.settings)
        if budget is None:
            raise NotConfigured("no shared budget: POLICYTRAIL_REDIS_URL is not set")
        return cls(crawler, budget)

    async def process_request(self, request):
        endpoint = self.endpoints.get(request.meta.get("download_slot"))
        if endpoint is None:
            return None
        while (wait := self.budget.take(endpoint)) > 0:
            self.crawler.stats.inc_value("policytrail/shared_budget_waits")
            await asyncio.sleep(min(wait, POLL_SECONDS))
        return None

    def process_response(self, request, response):
        if response.status == 429 and b"Memento-Datetime" not in response.headers:
            wait = retry_after_seconds(response.headers.get(b"Retry-After"), self.default_wait)
            logger.warning("429 from the archive: pausing every worker for %.1f s (shared pause in Redis)", wait)
            self.budget.pause(wait)
        return response
