"""Run ``policytrail discover``: the discovery conversations through Scrapy, under the crawl's politeness.

The conversation (crawler/discover/plan.py) decides what to ask; ``DiscoverSpider`` only sends each
ask as a request in the crawl's own download slots (CDX and mementos, each at its rate limit), through
the crawl's middlewares (the archive guard: never a request outside the archive, Retry-After on 429, a
clean stop after repeated 429s; the reachability check), and hands the answer back. Domains take turns;
each domain's requests go one at a time. The settings are the crawl's (``crawl_settings``: the same
bounds, ``--unthrottled`` only for an archive on 127.0.0.1). Nothing is stored, so no database, lock or
pipeline is involved; the spider lives here, not in ``spiders/``, because its results are read in this
process (``scrapy crawl`` or Scrapyd could not use them).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.settings import Settings

from crawler.archive import Archive
from crawler.crawl.middlewares import CONNECTION_FAILURES
from crawler.crawl.run import StopOnSignals, crawl_error, crawl_settings
from crawler.defaults import DEFAULT_COLLECTION
from crawler.discover import Answer, DomainResult, discover_domain
from crawler.errors import EXIT_OK, ArchiveUnreachable, CrawlFailures, NothingFound, PolicytrailError

logger = logging.getLogger(__name__)


@dataclass
class DiscoverResult:
    """How a discovery run ended, with every domain's result (in the order asked)."""

    exit_code: int
    message: str
    domains: list[DomainResult] = field(default_factory=list)
    error: PolicytrailError | None = None

    @property
    def rows(self) -> list:
        return [row for result in self.domains for row in result.rows]


def discover_settings(*, archive: Archive, **options) -> Settings:
    """The crawl's settings for this archive (rates, user agent, -s overrides), without database or targets."""
    return crawl_settings(db="", targets="", archive=archive, **options)


def run_discover(
    settings: Settings, domains: list[str], *, companies: dict | None = None, since: str | None = None, by: str = "year"
) -> DiscoverResult:
    """Discover every domain (already checked), and say how it went: the first domain-level failure or
    domain without a policy sets the exit code (1 failed listing, 4 nothing found), a stop of the whole
    run (rate limits, unreachable archive, a signal) wins over both."""
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DiscoverSpider)
    process.crawl(crawler, domains=domains, companies=companies or {}, since=since, by=by)
    with StopOnSignals(process) as interrupts:
        process.start(install_signal_handlers=False)
    logging.getLogger().handlers.clear()
    finish_reason = (crawler.stats.get_stats() if crawler.stats else {}).get("finish_reason")
    spider = crawler.spider
    results = [spider.results[d] for d in domains if spider is not None and d in spider.results]
    error = crawl_error(crawler, process, finish_reason, interrupts.received)
    unfinished = [d for d in domains if spider is None or d not in spider.results]
    if error is None and unfinished:  # a conversation that broke off (its error is in the log)
        error = CrawlFailures(f"The discovery of {', '.join(unfinished)} did not finish (see the error above).")
    if error is None:
        failed = [r for r in results if r.failed]
        empty = [r for r in results if not r.failed and not r.rows]
        if failed:
            error = CrawlFailures("; ".join(r.problem for r in failed))
        elif empty:
            error = NothingFound("; ".join(r.problem for r in empty))
    if error is None:
        found = sum(len(r.rows) for r in results)
        return DiscoverResult(EXIT_OK, f"Found {found} policy URL row(s) for {len(results)} domain(s).", results)
    return DiscoverResult(error.exit_code, str(error), results, error)


class DiscoverSpider(scrapy.Spider):
    name = "discover"

    @classmethod
    def update_settings(cls, settings):
        from spiders.wayback import politeness_slots

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
        from spiders.wayback import CDX_SLOT, MEMENTO_SLOT

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
