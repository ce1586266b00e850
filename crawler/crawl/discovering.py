"""Run ``policytrail discover``: the discovery conversations through Scrapy, under the crawl's politeness.

The settings are the crawl's (``crawl_settings``: per-endpoint rate limits, checked the same way,
``--unthrottled`` only for an archive on 127.0.0.1, the same middlewares for 429s and an unreachable
archive); the discover spider stores nothing, so no database and no lock are involved.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.archive import Archive
from crawler.crawl.run import StopOnSignals, crawl_error, crawl_settings
from crawler.discover import DomainResult
from crawler.errors import EXIT_OK, CrawlFailures, NothingFound, PolicytrailError


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
    from spiders.discover import DiscoverSpider

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
