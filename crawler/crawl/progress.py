"""Live crawl progress on a terminal: per company and overall, with rate and ETA.

A Scrapy extension, on only when ``POLICYTRAIL_PROGRESS`` is set (the CLI sets it when stderr
is a terminal and neither ``--quiet`` nor ``--verbose`` is given). It reads the spider's
per-target figures and the crawl stats, and redraws from the reactor thread every half second,
so it never races the crawl. Log records are routed above the display while it runs.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import deque

from rich.console import Console
from rich.live import Live
from rich.table import Table
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.reactor import is_reactor_installed
from twisted.internet.task import LoopingCall

from crawler.crawl.pipelines import derive_started

WINDOW_SECONDS = 20.0  # the rate is measured over this much recent time


def eta_seconds(remaining: int, observed_rate: float | None, limit_rate: float | None) -> float | None:
    """Seconds left for ``remaining`` fetches: at the observed rate when there is one, else at the
    rate limit, never faster than the limit allows."""
    if remaining <= 0:
        return 0.0
    rate = observed_rate or limit_rate
    if limit_rate and rate:
        rate = min(rate, limit_rate)
    return remaining / rate if rate else None


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class RateMeter:
    """Completions per second over a sliding window."""

    def __init__(self, window: float = WINDOW_SECONDS):
        self.window = window
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, done: int) -> None:
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.window:
            self.samples.popleft()

    def rate(self) -> float | None:
        if len(self.samples) < 2:
            return None
        (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
        if t1 - t0 < 2.0:
            return None
        return (d1 - d0) / (t1 - t0)


class CrawlProgress:
    def __init__(self, crawler):
        if not crawler.settings.getbool("POLICYTRAIL_PROGRESS"):
            raise NotConfigured
        self.crawler = crawler
        self.console = Console(file=sys.stderr)
        self.meter = RateMeter()
        self.live: Live | None = None
        self.loop: LoopingCall | None = None
        self.started = time.monotonic()
        self._handlers: list[tuple[logging.StreamHandler, object]] = []

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.refresh, signal=derive_started)
        return ext

    # -- lifecycle ----------------------------------------------------------------------
    def spider_opened(self, spider) -> None:
        if spider.store is None:  # refused: the database is locked
            return
        self.spider = spider
        self.versions_before = {r["company"]: r["versions"] for r in spider.store.company_summary(spider.companies)}
        self.live = Live(self.render(), console=self.console, auto_refresh=False, redirect_stderr=True)
        self.live.start()
        # Scrapy's log handler holds the real stderr: point it at the proxy that prints above the display
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.__stderr__:
                self._handlers.append((handler, handler.setStream(sys.stderr)))
        self.loop = LoopingCall(self.refresh)
        self.loop.start(0.5, now=False)
        if is_reactor_installed():  # a forced stop (second Ctrl-C) stops the reactor without spider_closed
            from twisted.internet import reactor

            reactor.addSystemEventTrigger("before", "shutdown", self.stop_display)

    def spider_closed(self, spider, reason: str) -> None:
        self.stop_display()

    def stop_display(self) -> None:
        """Draw the last state and give the terminal back (cursor, stderr, log handlers); once."""
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.live:
            self.refresh()
            self.live.stop()
            self.live = None
        for handler, stream in self._handlers:
            handler.setStream(stream)
        self._handlers = []

    def refresh(self) -> None:
        if self.live:
            self.live.update(self.render(), refresh=True)

    # -- drawing ------------------------------------------------------------------------
    def _limit_rate(self) -> float | None:
        settings = self.crawler.settings
        if settings.getbool("POLICYTRAIL_UNTHROTTLED"):
            return None
        return settings.getfloat("POLICYTRAIL_MEMENTOS_PER_MINUTE") / 60.0

    def render(self) -> Table:
        spider = getattr(self, "spider", None)
        stats = self.crawler.stats
        per_company: dict[str, dict] = {}
        for f in spider.figures.values() if spider else ():
            row = per_company.setdefault(
                f["company"], {"listed": 0, "new": 0, "fetched": 0, "failed": 0, "queued": 0, "listing": False}
            )
            for key in ("listed", "new", "fetched", "failed", "queued"):
                row[key] += f.get(key, 0)
            row["listing"] |= not f.get("listing_done", False)
        versions_after = stats.get_value("policytrail/company_versions") or {}
        for r in per_company.values():
            r["todo"] = max(r["queued"] - r["fetched"] - r["failed"], 0)
        done = sum(r["fetched"] + r["failed"] for r in per_company.values())
        remaining = sum(r["todo"] for r in per_company.values())
        now = time.monotonic()
        self.meter.add(now, done)
        rate = self.meter.rate()
        eta = eta_seconds(remaining, rate, self._limit_rate())
        listing = any(r["listing"] for r in per_company.values())

        phase = stats.get_value("policytrail/phase") or "crawling"
        title = (
            f"policytrail {phase} · {len(per_company)} companies · {done} fetched · "
            f"{'…' if rate is None else f'{rate:.1f}'}/s · ETA {format_duration(eta)}"
            f"{' + listings' if listing else ''} · {format_duration(now - self.started)} elapsed"
        )
        table = Table(title=title, title_justify="left", box=None, pad_edge=False)
        for col in ("company", "listed", "new", "fetched", "failed", "to fetch", "versions", ""):
            table.add_column(col, justify="left" if col in ("company", "") else "right")
        rows = sorted(per_company.items(), key=lambda kv: (-kv[1]["todo"], kv[0]))
        shown = rows[:20]
        for company, r in shown:
            versions = versions_after.get(company, self.versions_before.get(company, 0))
            todo = r["todo"]
            state = "listing…" if r["listing"] else ("fetching" if todo else "done")
            table.add_row(
                company, str(r["listed"]), str(r["new"]), str(r["fetched"]), str(r["failed"]), str(todo),
                str(versions), state,
            )  # fmt: skip
        if len(rows) > len(shown):
            table.add_row(f"… {len(rows) - len(shown)} more", "", "", "", "", "", "", "")
        return table
