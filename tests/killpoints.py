"""Test-only Scrapy extension: SIGKILL the crawl at a chosen point inside it.

Enabled with ``-s EXTENSIONS='{"tests.killpoints.KillAt": 0}' -s POLICYTRAIL_TEST_KILL_AT=<event>:<n>``:
the process kills itself on the n-th

* ``response`` -- response received by the engine (a download done, its items not yet stored);
* ``item`` -- item stored by the pipeline;
* ``write`` -- SQL write statement of the crawl's connection, inside its transaction;
* ``derive`` -- SQL write statement after derive started (versions, spans, clauses, changes).
"""

from __future__ import annotations

import os
import signal

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.crawl.pipelines import derive_started

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class KillAt:
    def __init__(self, crawler):
        spec = crawler.settings.get("POLICYTRAIL_TEST_KILL_AT")
        if not spec:
            raise NotConfigured
        self.event, n = spec.split(":")
        self.n, self.count, self.deriving = int(n), 0, False
        connect = crawler.signals.connect
        if self.event == "response":
            connect(self.tick, signal=signals.response_received)
        elif self.event == "item":
            connect(self.tick, signal=signals.item_scraped)
        else:
            connect(self.trace_writes, signal=signals.spider_opened)
            connect(self.start_deriving, signal=derive_started)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def tick(self, *args, **kwargs) -> None:
        self.count += 1
        if self.count >= self.n:
            os.kill(os.getpid(), signal.SIGKILL)

    def start_deriving(self) -> None:
        self.deriving = True

    def trace_writes(self, spider) -> None:
        def on_statement(sql: str) -> None:
            if sql.lstrip().upper().startswith(WRITES) and (self.event == "write" or self.deriving):
                self.tick()

        spider.store.conn.set_trace_callback(on_statement)


class DiskFull:
    """Test-only extension: the crawl's database cannot grow past its size at start plus a few pages,
    as on a disk that fills up (SQLite's own "database or disk is full", from ``max_page_count``).

    Enabled with ``-s EXTENSIONS='{"tests.killpoints.DiskFull": 0}' -s POLICYTRAIL_TEST_DISK_FULL=<pages>``.
    """

    def __init__(self, crawler):
        pages = crawler.settings.get("POLICYTRAIL_TEST_DISK_FULL")
        if not pages:
            raise NotConfigured
        self.spare = int(pages)
        crawler.signals.connect(self.fill, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def fill(self, spider) -> None:
        conn = spider.store.conn
        (used,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {used + self.spare}")
