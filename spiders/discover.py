"""Discover each domain's privacy policy URLs: run ``crawler.discover`` conversations through Scrapy.

The conversation (crawler/discover/plan.py) decides what to ask; this spider only sends each ask as a
request in the crawl's own download slots (CDX and mementos, each at its rate limit), through the
crawl's middlewares (the archive guard: never a request outside the archive, Retry-After on 429, a
clean stop after repeated 429s; the reachability check), and hands the answer back. Domains take
turns; each domain's requests go one at a time. Nothing is stored: the results are read by
``crawler.crawl.discovering`` when the spider closes.
"""

from __future__ import annotations

import asyncio
import logging

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest

from crawler.archive import Archive
from crawler.crawl.middlewares import CONNECTION_FAILURES
from crawler.defaults import DEFAULT_COLLECTION
from crawler.discover import Answer, DomainResult, discover_domain
from crawler.errors import ArchiveUnreachable, CrawlFailures, PolicytrailError
from spiders.wayback import CDX_SLOT, MEMENTO_SLOT, politeness_slots

logger = logging.getLogger(__name__)


class DiscoverSpider(scrapy.Spider):
    name = "discover"

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        slots = politeness_slots(settings)
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        settings.set("CONCURRENT_REQUESTS", sum(s["concurrency"] for s in slots.values()), priority="spider")
        settings.set("ITEM_PIPELINES", {}, priority="spider")  # discovery stores nothing
        settings.set("EXTENSIONS", {}, priority="spider")

    def __init__(self, *args, domains=(), companies=None, since=None, by="year", **kwargs):
        super().__init__(*args, **kwargs)
        self.domains = list(domains)
        self.company_names = dict(companies or {})
        self.since, self.by = since, by
        self.results: dict[str, DomainResult] = {}
        self.stop_error: PolicytrailError | None = None
        self._closing: asyncio.Future | None = None
        self._reached = False
        self._unreachable: ArchiveUnreachable | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.archive = Archive(
            s.get("POLICYTRAIL_ARCHIVE"),
            s.get("POLICYTRAIL_DIALECT"),
            s.get("POLICYTRAIL_COLLECTION") or DEFAULT_COLLECTION,
        )
        spider.max_hops = s.getint("POLICYTRAIL_MAX_REDIRECT_HOPS")
        return spider

    async def start(self):
        if not self.domains:
            raise CloseSpider("nothing to discover")
        self.conversations = {}
        for domain in self.domains:
            conversation = discover_domain(
                self.archive,
                domain,
                company=self.company_names.get(domain),
                since=self.since,
                by=self.by,
                max_hops=self.max_hops,
            )
            self.conversations[domain] = conversation
            for request in self._advance(domain, None, first=True):
                yield request

    def _advance(self, domain: str, answer: Answer | None, first: bool = False):
        conversation = self.conversations[domain]
        try:
            ask = next(conversation) if first else conversation.send(answer)
        except StopIteration as done:
            self.results[domain] = done.value
            return
        yield scrapy.Request(
            ask.url,
            callback=self._answered,
            errback=self._failed,
            dont_filter=True,
            meta={
                "download_slot": CDX_SLOT if ask.kind == "cdx" else MEMENTO_SLOT,
                "domain": domain,
                "handle_httpstatus_all": True,
                "dont_redirect": True,
            },
        )

    def _answered(self, response):
        self._reached = True
        headers = {
            k.decode("latin-1").lower(): response.headers.get(k).decode("latin-1") for k in response.headers.keys()
        }
        answer = Answer(response.status, headers, response.body, response.url)
        yield from self._advance(response.meta["domain"], answer)

    def _failed(self, failure):
        if failure.check(IgnoreRequest) and self.stop_error is not None:
            return  # stopping (rate limited, unreachable): the domain stays undiscovered
        if failure.check(*CONNECTION_FAILURES):
            self._unreachable = self._unreachable or ArchiveUnreachable(
                f"The archive at {self.archive.base} could not be reached ({failure.getErrorMessage()[:200]}). "
                f"Check the network (or --archive), then run the same command again."
            )
        logger.info("Request failed: %s (%s)", failure.request.url, failure.getErrorMessage())
        yield from self._advance(failure.request.meta["domain"], None)

    # -- what the crawl's middlewares call ------------------------------------------------
    def record_error(self, error: PolicytrailError) -> bool:
        if self.stop_error is not None:
            return False
        self.stop_error = error
        return True

    def stop(self, error: PolicytrailError, reason: str) -> None:
        if self.record_error(error):
            self._closing = asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=reason))

    def outcome(self, finish_reason: str | None) -> PolicytrailError | None:
        """Why this run did not finish its work, or None."""
        if self.stop_error is not None:
            return self.stop_error
        if self._unreachable is not None and not self._reached:
            return self._unreachable
        if finish_reason != "finished":
            return CrawlFailures(f"The discovery ended early ({finish_reason}).")
        return None
