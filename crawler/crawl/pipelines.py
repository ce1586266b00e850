"""Scrapy glue: hand the spider's facts to storage; derive when the crawl closes."""

from __future__ import annotations

import logging
import sqlite3

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.reactor import is_reactor_installed

from crawler.crawl.items import CaptureItem, CaptureOutcome, SnapshotItem
from crawler.derive import derive
from crawler.errors import StorageError
from crawler.extract.rules import load_rules
from crawler.store.database import classify

logger = logging.getLogger(__name__)

# sent when the crawl's downloads are over and derive starts (the progress display redraws)
derive_started = object()


class StoragePipeline:
    """Writes captures, snapshots and outcomes through ``Store``; runs derive on close.

    Derive runs here (not in the CLI) so that a crawl started by Scrapyd, with no CLI around
    it, still ends with versions and spans.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.derive_on_close = crawler.settings.getbool("POLICYTRAIL_DERIVE_ON_CLOSE")
        self.store = None
        self.run_id = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.store = spider.store
        if self.store is None:  # the spider found the database locked by another run
            return
        self.run_id = self.store.start_run(
            spider.archive.key,
            {
                "archive": spider.archive.base,
                "dialect": spider.archive.dialect,
                "collection": spider.archive.collection,
                "companies": spider.companies,
                "full": spider.full,
                "strategy": "estimate" if spider.estimate_only else spider.strategy,
                "targets": len(spider.targets),
            },
        )
        self.crawler.stats.set_value("policytrail/run_id", self.run_id)
        if is_reactor_installed():
            from twisted.internet import reactor

            reactor.addSystemEventTrigger("before", "shutdown", self.reactor_stopping)

    def process_item(self, item):
        if self.store is None:  # the run was finished by a forced stop: its captures stay pending for the next
            return item
        try:
            self._store(item)
        except sqlite3.Error as exc:  # a full disk, a file gone read-only: stop; what is stored stays whole
            self.crawler.spider.stop(classify(exc, self.store.path), reason="storage_error")
            raise DropItem(f"not stored: {exc}") from None
        return item

    def _store(self, item) -> None:
        store = self.store
        if isinstance(item, CaptureItem):
            store.record_capture(
                target_id=item.target_id,
                archive=item.archive,
                url=item.url,
                timestamp=item.timestamp,
                statuscode=item.statuscode,
                mimetype=item.mimetype,
                digest=item.digest,
                length=item.length,
                state=item.state,
                reason=item.reason,
                source=item.source,
            )
        elif isinstance(item, SnapshotItem):
            store.store_snapshot(
                digest=item.digest,
                body=item.body,
                headers=item.headers,
                status=item.status,
                mimetype=item.mimetype,
                fetched_url=item.fetched_url,
                sha256=item.sha256,
                digest_ok=item.digest_ok,
                archive=item.archive,
                url=item.url,
                timestamp=item.timestamp,
                redirect_to=item.redirect_to,
            )
            self.crawler.stats.inc_value("policytrail/snapshots")
        elif isinstance(item, CaptureOutcome):
            mark = store.mark_failed if item.state == "failed" else store.mark_skipped
            mark(archive=item.archive, url=item.url, timestamp=item.timestamp, digest=item.digest, reason=item.reason)

    def close_spider(self) -> None:
        if self.store is None:
            return
        if self.derive_on_close:
            stats = self.crawler.stats
            companies = getattr(self.crawler.spider, "companies", ())
            stats.set_value("policytrail/phase", "deriving versions")
            self.crawler.signals.send_catch_log(signal=derive_started)
            try:
                report = derive(self.store, companies, load_rules(self.crawler.settings.get("POLICYTRAIL_RULES")))
            except sqlite3.Error as exc:  # each document derives in its own transaction: nothing half-made
                self.crawler.spider.record_error(classify(exc, self.store.path))
                logger.error("derive stopped: %s", exc)
                return
            stats.set_value("policytrail/phase", "finished")
            stats.set_value("policytrail/versions", report.versions)
            stats.set_value("policytrail/spans", report.spans)
            stats.set_value(
                "policytrail/company_versions",
                {row["company"]: row["versions"] for row in self.store.company_summary(companies)},
            )
            logger.info(
                "derive: %d snapshots extracted, %d versions over %d spans in %d documents",
                report.extracted,
                report.versions,
                report.spans,
                report.documents,
            )
            for status in report.skip_rules:  # a rule that stopped matching: the site changed
                if status.message:
                    logger.warning("%s", status.message)

    def spider_closed(self, spider, reason: str) -> None:
        """After everything else: record how the run ended, close the store, release the lock. A run
        that finished with an error held against it (a storage failure during derive) says so."""
        if reason == "finished" and isinstance(getattr(spider, "stop_error", None), StorageError):
            reason = "storage_error"
        self._finish(spider, reason)

    def reactor_stopping(self) -> None:
        """The reactor stops. After a crawl it closed, nothing is left to do; before (a forced stop: a
        second Ctrl-C or SIGTERM, under the CLI or Scrapyd), the spider never closes, so the run is
        finished here as ``interrupted``, without derive (the next run derives)."""
        self._finish(self.crawler.spider, "interrupted")

    def _finish(self, spider, status: str) -> None:
        if self.store is None:  # never opened (locked out), or finished already
            return
        store, self.store = self.store, None
        store.finish_run(self.run_id, status, spider.figures)
        store.close()
        if spider.lock:  # taken by the spider when no CLI holds it (Scrapyd)
            spider.lock.release()
