"""List every capture of each target through CDX and fetch the raw (``id_``) bodies needed.

With ``--strategy all`` each distinct digest is fetched once. With ``--strategy changes`` (the
default) the listing is stored, and whenever the crawl runs dry the spider asks derive to bring the
fetched captures to versions and the planner (``crawler/crawl/strategy.py``) for the next fetches,
until every change lies between two adjacent captures; derive infers the rest. With
``POLICYTRAIL_BRACKETS`` (``policytrail worker --brackets``) the search is shared: the listings go
to Redis and the fetches the planner wants are taken from a queue there, by this crawl and others
(``crawler/scale/brackets.py``).

The spider records facts only: CDX rows become ``CaptureItem``s, raw bodies ``SnapshotItem``s,
failures ``CaptureOutcome``s. It never extracts, hashes text or writes SQL; it reads the store
to skip what earlier runs already have and to plan.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, IgnoreRequest

from crawler.archive import (
    Archive,
    CdxRecord,
    has_archive_digest,
    http_date_to_ts,
    payload_digest,
    shift_ts,
    triage,
)
from crawler.crawl.items import CaptureItem, CaptureOutcome, SnapshotItem
from crawler.crawl.middlewares import CONNECTION_FAILURES
from crawler.crawl.strategy import NOT_POLICY, STRATEGIES, Listed, Listing, Settings, is_candidate, plan
from crawler.crawl.targets import load_targets
from crawler.defaults import DEFAULT_COLLECTION, MAX_ATTEMPTS
from crawler.errors import ArchiveUnreachable, CrawlFailures, PolicytrailError, UnexpectedResponseFormat, UsageError
from crawler.options import check_rate
from crawler.store import TERMINAL_STATES, Store
from crawler.store.lock import DatabaseLock, LockHeld

logger = logging.getLogger(__name__)

CDX_SLOT = "policytrail-cdx"
MEMENTO_SLOT = "policytrail-memento"
# how often a crawl waiting on other workers' fetches asks the shared queue again (seconds)
POLL_SECONDS = 0.2


def politeness_slots(settings) -> dict:
    """One download slot per endpoint, spaced to the configured per-minute limits."""
    archive = Archive(
        settings.get("POLICYTRAIL_ARCHIVE"),
        settings.get("POLICYTRAIL_DIALECT"),
        settings.get("POLICYTRAIL_COLLECTION") or DEFAULT_COLLECTION,
    )
    if settings.getbool("POLICYTRAIL_UNTHROTTLED") and archive.is_local:
        return {
            CDX_SLOT: {"concurrency": 4, "delay": 0, "jitter": 0},
            MEMENTO_SLOT: {"concurrency": 8, "delay": 0, "jitter": 0},
        }
    if settings.getbool("POLICYTRAIL_UNTHROTTLED"):
        logger.warning(
            "POLICYTRAIL_UNTHROTTLED is honoured only for an archive on 127.0.0.0/8; keeping the rate limits for %s",
            archive.base,
        )
    # checked here too: `scrapy crawl` and Scrapyd set them without `policytrail crawl`'s checks
    cdx, mementos = (
        check_rate(settings.get(key), name=key, kind=kind, is_local=archive.is_local, archive=archive.base)
        for key, kind in (("POLICYTRAIL_CDX_PER_MINUTE", "cdx"), ("POLICYTRAIL_MEMENTOS_PER_MINUTE", "mementos"))
    )
    if settings.get("POLICYTRAIL_REDIS_URL"):  # the shared budget paces every worker (crawler/scale/limiter.py)
        return {
            CDX_SLOT: {"concurrency": 1, "delay": 0, "jitter": 0},
            MEMENTO_SLOT: {"concurrency": 1, "delay": 0, "jitter": 0},
        }
    return {
        CDX_SLOT: {"concurrency": 1, "delay": 60.0 / cdx, "jitter": 0},
        MEMENTO_SLOT: {"concurrency": 4, "delay": 60.0 / mementos, "jitter": 0},
    }


class WaybackSpider(scrapy.Spider):
    name = "wayback"

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        if settings.get("POLICYTRAIL_ARCHIVE") is None:  # started without the project's settings
            import crawler.settings as defaults

            for key in dir(defaults):
                if key.isupper() and settings.getpriority(key) in (None, 0):
                    settings.set(key, getattr(defaults, key), priority="project")
        slots = politeness_slots(settings)
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        # Requests handed to the downloader wait in its slots' FIFO queues, where priorities no
        # longer count: hand over no more than the slots can send, so the scheduler (and the
        # per-target priorities that keep the crawl fair) decides the order.
        settings.set("CONCURRENT_REQUESTS", sum(s["concurrency"] for s in slots.values()), priority="spider")

    def __init__(
        self,
        *args,
        targets: str | None = None,
        db: str | None = None,
        archive: str | None = None,
        dialect: str | None = None,
        collection: str | None = None,
        company: str | list | None = None,
        held_lock: DatabaseLock | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # the lock `policytrail crawl` holds for this database (an object: `scrapy crawl -a` cannot fake it)
        self._held_lock = held_lock
        # why the crawl must stop or could not work, raised by whoever runs it (exit code 3 and the like)
        self.stop_error: PolicytrailError | None = None
        self._closing: asyncio.Future | None = None  # kept: a task nobody references may be collected
        self._unreachable: ArchiveUnreachable | None = None  # until one CDX answer arrives
        self._reached = False
        self._args = {
            "targets": targets,
            "db": db,
            "archive": archive,
            "dialect": dialect,
            "collection": collection,
            "company": company,
        }

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(crawler.settings)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._stop_polling, signal=signals.spider_closed)
        return spider

    def setup(self, settings) -> None:
        a = self._args
        self.archive = Archive(
            a["archive"] or settings.get("POLICYTRAIL_ARCHIVE"),
            a["dialect"] or settings.get("POLICYTRAIL_DIALECT"),
            a["collection"] or settings.get("POLICYTRAIL_COLLECTION") or DEFAULT_COLLECTION,
        )
        company = a["company"] or settings.getlist("POLICYTRAIL_COMPANIES")
        companies = [company] if isinstance(company, str) else list(company or [])
        source = a["targets"] or settings.get("POLICYTRAIL_TARGETS")
        # no targets of its own: a worker joining the searches others shared (policytrail worker --brackets)
        joining = not source and bool(settings.get("POLICYTRAIL_BRACKETS"))
        self.targets = [] if joining else load_targets(source, companies)
        self.companies = sorted({t.company for t in self.targets})
        db = a["db"] or settings.get("POLICYTRAIL_DB")
        self.lock = self.refused = None
        held = self._held_lock
        if not (isinstance(held, DatabaseLock) and held.holds(db)):  # scrapy crawl, Scrapyd: take it here
            try:
                self.lock = DatabaseLock(db).acquire()
            except LockHeld as exc:  # touch nothing; start() closes the spider at once
                self.refused, self.store, self.figures = str(exc), None, {}
                return
        self.strategy = settings.get("POLICYTRAIL_STRATEGY") or "changes"
        if self.strategy not in STRATEGIES:  # `scrapy crawl -s` bypasses the CLI's choice
            raise UsageError(f"POLICYTRAIL_STRATEGY must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}")
        self.estimate_only = settings.getbool("POLICYTRAIL_ESTIMATE")
        self.plan_settings = Settings().refined() if settings.getbool("POLICYTRAIL_REFINE") else Settings()
        self.plan_batch = max(1, settings.getint("POLICYTRAIL_PLAN_BATCH"))
        self.rules_path = settings.get("POLICYTRAIL_RULES")
        self._search_done = False
        self._redirect_bodies: set[tuple] = set()  # redirects asked for in this run (--strategy changes)
        self._to_plan: set[str] | None = None  # companies to derive and plan in the next round (None: all)
        self.plan_rounds = 0
        self.store = Store(db)
        self.max_hops = settings.getint("POLICYTRAIL_MAX_REDIRECT_HOPS")
        self.target_ids = {t.url: self.store.upsert_target(t.company, t.url, t.document) for t in self.targets}
        # a URL's rows (one per validity window); a URL without a window on any row is listed whole
        self.rows_by_url: dict[str, list] = {}
        for t in self.targets:
            self.rows_by_url.setdefault(t.url, []).append(t)
        self.requested: set[str] = set()
        self.full = settings.getbool("POLICYTRAIL_FULL")
        self.page_size = settings.getint("POLICYTRAIL_CDX_PAGE_SIZE")
        self.overlap_days = settings.getfloat("POLICYTRAIL_OVERLAP_DAYS")
        # per-target figures of this run, recorded in crawl_runs
        self.figures = {
            t.url: {
                "company": t.company,
                "listed": 0,
                "new": 0,
                "queued": 0,
                "fetched": 0,
                "failed": 0,
                "since": None,
                "listing_done": False,
            }
            for t in self.targets
        }
        self._figures_by_id = {self.target_ids[url]: f for url, f in self.figures.items()}
        self._unlisted: set[int] = set()  # targets whose listing failed in this run
        self._local_targets: set[int] = set()  # with a shared search: own targets too small to share
        self.brackets = None  # the shared search (crawler/scale/brackets.py), when asked for
        self._held: list = []  # fetches taken from it, settled in the next round
        self._published = self._waiting = False
        self._renewed = 0.0
        if settings.get("POLICYTRAIL_BRACKETS") and self.strategy == "changes" and not self.estimate_only:
            if not settings.get("POLICYTRAIL_REDIS_URL"):
                raise UsageError("POLICYTRAIL_BRACKETS needs POLICYTRAIL_REDIS_URL: the searches are shared in Redis")
            from crawler.scale.brackets import BracketBoard, listed

            self._listed = listed  # (Redis and the shared search stay unimported without the setting)

            self.brackets = BracketBoard(
                settings.get("POLICYTRAIL_REDIS_URL"),
                settings.get("POLICYTRAIL_BRACKETS"),
                lease_seconds=settings.getfloat("POLICYTRAIL_LEASE_SECONDS"),
                holder=settings.get("POLICYTRAIL_WORKER_ID") or "",
                settings=self.plan_settings,
            )
            concurrency = settings.getdict("DOWNLOAD_SLOTS").get(MEMENTO_SLOT, {}).get("concurrency", 1)
            self.bracket_take = settings.getint("POLICYTRAIL_BRACKET_TAKE") or concurrency
            self.share_from = settings.getint("POLICYTRAIL_BRACKETS_FROM")

    def _since(self, target_id: int) -> str | None:
        """Where an incremental listing starts: the newest capture CDX listed, minus the overlap."""
        if self.full:
            return None
        last = self.store.last_capture_ts(target_id, self.archive.key)
        if not last:
            return None
        return shift_ts(last, -self.overlap_days)

    # -- CDX ---------------------------------------------------------------------------
    async def start(self):
        if self.refused:
            logger.error("%s", self.refused)
            raise CloseSpider("locked")
        if self.brackets is not None:  # kept: a task nobody references may be collected
            self._poller = asyncio.ensure_future(self._poll_brackets())
        for target_url in self.rows_by_url:
            tid = self.target_ids[target_url]
            since = self._since(tid)
            starts = [t.valid_from for t in self.rows_by_url[target_url]]
            if all(starts):  # nothing before the earliest window belongs to the document
                since = max(since or "", min(starts))
            self.figures[target_url]["since"] = since
            yield self._cdx_request(target_url, tid, since=since)
            if self.estimate_only or self.strategy == "all":  # `all` is fed from the store in batches
                continue
            # what an interrupted run listed but did not settle is fetched whatever the listing says
            # (an incremental listing no longer returns captures older than its start); the change-point
            # search plans its own fetches from the store once the listings are in, redirects aside
            for url, ts, mimetype, status, digest, length in self.store.unfinished_captures(tid, self.archive.key):
                if not self._in_window(target_url, ts):
                    continue
                if status.startswith("3"):
                    for item in self._redirect_once(CdxRecord("", ts, url, mimetype, status, digest, length), tid):
                        yield item

    def _in_window(self, target_url: str, timestamp: str) -> bool:
        """Whether a capture of ``target_url`` at ``timestamp`` belongs to its document (targets' valid_from/to)."""
        return any(t.in_window(timestamp) for t in self.rows_by_url.get(target_url, ()))

    def _cdx_request(
        self,
        url: str,
        target_id: int,
        resume_key: str | None = None,
        from_ts: str | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> scrapy.Request:
        return scrapy.Request(
            self.archive.cdx_url(url, resume_key=resume_key, from_ts=from_ts or since, limit=limit or self.page_size),
            callback=self.parse_cdx,
            errback=self.cdx_failed,
            dont_filter=True,
            meta={
                "download_slot": CDX_SLOT,
                "target_url": url,
                "target_id": target_id,
                "since": since,
                "handle_httpstatus_all": True,
                "dont_redirect": True,
            },
        )

    def parse_cdx(self, response):
        meta = response.meta
        stats = self.crawler.stats
        if response.status != 200:
            text = response.body[:300].decode("utf-8", "replace")
            why = (
                "the archive blocks this URL"
                if response.status == 403 and "Blocked" in text
                else f"CDX answered HTTP {response.status}"
            )
            stats.inc_value("policytrail/cdx_failed")
            logger.error("Listing %s failed: %s", meta["target_url"], why)
            self._listing_done(meta["target_id"], failed=True)
            return
        try:
            page = self.archive.parse_cdx(response.body, response.url)
        except UnexpectedResponseFormat as exc:
            stats.inc_value("policytrail/cdx_failed")
            logger.error("Listing %s failed: %s", meta["target_url"], exc)
            self._listing_done(meta["target_id"], failed=True)
            return
        stats.inc_value("policytrail/cdx_pages")
        self._reached = True
        seen = meta.get("seen_at_from", frozenset())
        for record in page.records:
            if record in seen:  # a page that starts at a timestamp repeats the rows listed there
                continue
            if not self._in_window(meta["target_url"], record.timestamp):
                stats.inc_value("policytrail/outside_window")  # the URL did not carry the document then
                continue
            yield from self._triage(record, meta["target_id"])
        if page.resume_key:
            yield self._cdx_request(
                meta["target_url"], meta["target_id"], resume_key=page.resume_key, since=meta.get("since")
            )
            return
        if self.archive.dialect == "pywb" and page.records and len(page.records) >= self._page_limit(response):
            yield from self._next_pywb_page(page.records, meta)
            return
        self._listing_done(meta["target_id"])

    def _next_pywb_page(self, records: list[CdxRecord], meta: dict):
        """The next page of a pywb listing, which has neither resume keys nor offsets (``page=`` only
        pages ZipNum indexes): ask again from the page's last timestamp. pywb answers in a stable
        order, so the rows already listed at that timestamp come first; they are skipped, and the
        limit grows by their number, so each page brings new rows even when more rows than a page
        share one timestamp (a page with fewer rows than asked for is the last)."""
        last = records[-1].timestamp
        at_last = [r for r in records if r.timestamp == last]
        request = self._cdx_request(
            meta["target_url"], meta["target_id"], from_ts=last, limit=len(at_last) + self.page_size
        )
        request.meta["from_ts"] = last
        request.meta["seen_at_from"] = frozenset(at_last)
        yield request

    def _listing_done(self, target_id: int, failed: bool = False) -> None:
        self._figures_by_id[target_id]["listing_done"] = True
        if failed:
            self._unlisted.add(target_id)

    @staticmethod
    def _page_limit(response) -> int:
        from urllib.parse import parse_qs, urlsplit

        return int(parse_qs(urlsplit(response.url).query).get("limit", ["0"])[0] or 0)

    def _triage(self, record, target_id: int):
        stats = self.crawler.stats
        stats.inc_value("policytrail/cdx_rows")
        known = self.store.capture_state(self.archive.key, record.url, record.timestamp, record.digest)
        figures = self._figures_by_id[target_id]
        figures["listed"] += 1
        figures["new"] += known is None
        skip = triage(record)
        yield CaptureItem(
            target_id=target_id,
            archive=self.archive.key,
            url=record.url,
            timestamp=record.timestamp,
            statuscode=record.statuscode,
            mimetype=record.mimetype,
            digest=record.digest,
            length=record.length,
            state="skipped" if skip else "pending",
            reason=skip,
        )
        if skip or (known and known[0] in TERMINAL_STATES) or self.estimate_only:
            return
        if known and known[0] == "failed" and known[1] >= MAX_ATTEMPTS:
            stats.inc_value("policytrail/gave_up")
            return
        if self.strategy == "changes" and record.statuscode.startswith("3"):
            yield from self._redirect_once(record, target_id)
        # the rest is fetched once the crawl runs dry (spider_idle): `all` in batches from the store,
        # `changes` as the planner asks -- pending work waits in the database, not in memory

    def _redirect_once(self, record: CdxRecord, target_id: int):
        """``--strategy changes``: an archived redirect is fetched once per URL, status and body (a page
        answering the same 301 thousands of times costs one fetch; another status, another URL or
        another body is fetched for itself); its other captures are skipped, saying so."""
        key = (record.url, record.statuscode, record.digest)
        if key in self._redirect_bodies or self.store.redirect_fetched(self.archive.key, *key):
            yield self._outcome(record, "skipped", "redirect: the same answer was fetched through another capture")
            return
        self._redirect_bodies.add(key)
        yield from self._fetch(record, target_id)

    # -- change-point search -----------------------------------------------------------
    def spider_idle(self) -> None:
        """The crawl ran dry: under ``--strategy changes``, derive what was fetched and hand the
        scheduler the next fetches the planner asks for; the crawl closes when it asks for none."""
        if self.estimate_only or self.store is None or self._search_done:
            return
        if self.stop_error is not None or self._closing is not None:
            return
        if self.brackets is not None:
            shared = self._bracket_round_or_stop()  # (shares this crawl's listings the first time)
            local = self._next_fetches() if self._to_plan and self.stop_error is None else []
            if shared is None and not local:  # other workers hold the fetches: wait for them (_poll_brackets)
                self._waiting = True
                raise DontCloseSpider
            requests = local + (shared or [])
        else:
            requests = self._next_fetches() if self.strategy == "changes" else self._next_unfinished()
        if not requests:
            self._search_done = True
            return
        for request in requests:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def _next_unfinished(self) -> list[scrapy.Request]:
        """``--strategy all``: the next batch of what is listed and not settled, taking targets in turn."""
        self.crawler.stats.set_value("policytrail/phase", "fetching")
        queues = []
        for target_url in self.rows_by_url:
            tid = self.target_ids[target_url]
            queues.append((tid, iter(self.store.unfinished_captures(tid, self.archive.key))))
        requests: list[scrapy.Request] = []
        while queues and len(requests) < self.plan_batch:
            for tid, rows in list(queues):
                for url, ts, mimetype, status, digest, length in rows:
                    issued = list(self._fetch(CdxRecord("", ts, url, mimetype, status, digest, length), tid))
                    if issued:
                        requests.extend(issued)
                        break
                else:
                    queues.remove((tid, rows))
        return requests

    def _next_fetches(self) -> list[scrapy.Request]:
        """One round of the search: the versions of what was fetched (``derive_versions``), then the plan.

        Bounded: at most ``POLICYTRAIL_PLAN_BATCH`` requests a round; what is left is planned again
        in the next round, from the store, as a rerun or a resumed run plans it."""
        import sqlite3

        from crawler.derive import derive_versions
        from crawler.extract.rules import load_rules
        from crawler.store.database import classify

        self.plan_rounds += 1
        self.crawler.stats.set_value("policytrail/phase", "searching for changes")
        # only companies whose fetches came back since the last round can plan anything new
        companies = sorted(self._to_plan if self._to_plan is not None else self.companies)
        if not companies:  # (an empty list would mean every company to derive)
            return []
        try:
            derive_versions(self.store, companies, load_rules(self.rules_path))
        except sqlite3.Error as exc:
            self.stop(classify(exc, self.store.path), reason="storage_error")
            return []
        requests: list[scrapy.Request] = []
        # (with a shared search, only the targets too small to share: the others are planned in Redis)
        ours = self._local_targets if self.brackets is not None else set(self.target_ids.values())
        self._to_plan = set()
        for doc_id, company, _ in self.store.documents(companies):
            if len(requests) >= self.plan_batch:  # planned in the next round
                self._to_plan.add(company)
                continue
            # this archive's captures of the targets crawled (another archive's cannot be fetched from here)
            rows = [r for r in self.store.document_listing(doc_id) if r[10] in ours and r[12] == self.archive.key]
            listing, outcomes = self._listing(rows)
            for i in plan(listing, outcomes):
                row = rows[i]
                if row[6] == "failed":  # retries rotate through the body's captures: another may replay
                    same = [r for r in rows if r[2] == row[2] and not (r[3] or "").startswith("3")]
                    row = same[row[7] % len(same)]
                record = CdxRecord("", row[1], row[11], row[4], row[3], row[2], row[5])
                issued = list(self._fetch(record, row[10]))
                requests.extend(issued)
                if issued:
                    self._to_plan.add(company)
        self.crawler.stats.set_value("policytrail/plan_rounds", self.plan_rounds)
        return requests

    def _listing(self, rows: list[tuple]) -> tuple[Listing, dict[str, str]]:
        """The planner's view of one document's captures: the listing, and per digest what is known
        (the version key, or NOT_POLICY for a body that holds none, was given up on, or failed in
        this run -- skipped over now, retried by a later run)."""
        captures = [Listed(r[1], r[2], r[3] or "-", r[4] or "unk", r[5]) for r in rows]
        return Listing(captures, self.plan_settings), self._outcomes(rows)

    def _outcomes(self, rows: list[tuple]) -> dict[str, str]:
        """Per digest of the listing rows, what is known (see ``_listing``)."""
        outcomes: dict[str, str] = {}
        for _cid, _ts, digest, _status, _mime, _length, state, attempts, _vid, key, _tid, _url, _archive in rows:
            if key and state in ("fetched", "duplicate"):
                outcomes[digest] = key
            elif digest in outcomes:
                continue
            elif state in ("fetched", "duplicate", "skipped"):
                outcomes[digest] = NOT_POLICY
            elif state == "failed" and (attempts >= MAX_ATTEMPTS or digest in self.requested):
                outcomes[digest] = NOT_POLICY
            elif digest in self.requested:  # asked for in this run and still unread: do not ask again
                outcomes[digest] = NOT_POLICY
        return outcomes

    # -- the shared search (policytrail worker --brackets) -----------------------------
    def _bracket_round_or_stop(self) -> list[scrapy.Request] | None:
        import redis

        try:
            return self._bracket_round()
        except redis.RedisError as exc:  # the leases expire: other workers take this crawl's fetches again
            self.stop(UsageError(f"the shared search in Redis failed ({exc}); run the worker again"), "redis_error")
            return []

    def _bracket_round(self) -> list[scrapy.Request] | None:
        """One round of a shared search: this crawl's listings shared (the first time), the outcomes of
        the fetches taken last round recorded and their targets planned again, then new fetches taken.
        None when nothing can be taken but other workers hold fetches (a new bracket may open)."""
        board = self.brackets
        if not self._published:
            if not self._share_listings():
                return []
        while True:
            if self._held and not self._settle_held():
                return []
            requests: list[scrapy.Request] = []
            while len(self._held) < self.bracket_take and (fetch := board.take()) is not None:
                self._held.append(fetch)
                requests.extend(self._fetch_shared(fetch))
            if requests:
                self.crawler.stats.set_value("policytrail/phase", "searching shared brackets")
                return requests
            if not self._held:
                return None if board.open() else []
            # taken fetches whose bodies this shard already holds: settled at once

    def _derive_versions(self, companies: list[str]) -> bool:
        """Version keys of the fetched bodies (what the planner compares); False on a storage error."""
        import sqlite3

        from crawler.derive import derive_versions
        from crawler.extract.rules import load_rules
        from crawler.store.database import classify

        try:
            derive_versions(self.store, companies, load_rules(self.rules_path))
        except sqlite3.Error as exc:
            self.stop(classify(exc, self.store.path), reason="storage_error")
            return False
        return True

    def _share_listings(self) -> bool:
        """Share this crawl's listings (and what earlier runs fetched of them) and queue their first fetches."""
        self._published = True
        if self.companies and not self._derive_versions(self.companies):
            return False
        self._to_plan = set()  # the companies of targets searched here, alone
        for target_url, rows in self.rows_by_url.items():
            tid = self.target_ids[target_url]
            if tid in self._unlisted:  # a partial listing must not become the shared one: a later run lists it
                continue
            listing = self.store.target_listing(tid, self.archive.key)
            shared = [(r[11], r[1], r[4], r[3], r[2], r[5]) for r in listing]
            if sum(map(is_candidate, self._listed(shared))) < self.share_from:  # too small to be worth sharing
                self._local_targets.add(tid)
                self._to_plan.add(rows[0].company)
                continue
            outcomes = {d: k for d, k in self._outcomes(listing).items() if d not in self.requested}
            queued = self.brackets.publish(rows[0], shared, outcomes)
            logger.info("Shared the listing of %s (%d captures): %d fetch(es) queued", target_url, len(shared), queued)
        return True

    def _join(self, target_url: str) -> int:
        """This shard's id of a target whose search it joins; its whole shared listing is written here
        first (as its listing worker wrote it), so that the merged database holds every capture."""
        if target_url in self.target_ids:
            return self.target_ids[target_url]
        shared = self.brackets.shared(target_url)
        t = shared.target
        tid = self.store.upsert_target(t.company, t.url, t.document)
        with self.store.transaction():
            for url, ts, mime, status, digest, length in shared.rows:
                skip = triage(CdxRecord("", ts, url, mime, status, digest, length))
                self.store.record_capture(
                    target_id=tid, archive=self.archive.key, url=url, timestamp=ts, statuscode=status,
                    mimetype=mime, digest=digest, length=length, state="skipped" if skip else "pending", reason=skip,
                )  # fmt: skip
        self.target_ids[target_url] = tid
        figures = {"company": t.company, "listed": 0, "new": 0, "queued": 0, "fetched": 0, "failed": 0}
        self.figures[target_url] = {**figures, "since": None, "listing_done": True, "joined": True}
        self._figures_by_id[tid] = self.figures[target_url]
        if t.company not in self.companies:
            self.companies[:] = sorted({*self.companies, t.company})  # derived on close (the pipeline reads it)
        return tid

    def _fetch_shared(self, fetch) -> list[scrapy.Request]:
        tid = self._join(fetch.target)
        url, ts, mime, status, digest, length = self.brackets.shared(fetch.target).row(fetch)
        return list(self._fetch(CdxRecord("", ts, url, mime, status, digest, length), tid))

    def _settle_held(self) -> bool:
        """Record what the fetches taken last round hold, plan their targets again, then complete them (a
        fetch whose request never went, a forced stop, goes back to the queue); False on a storage error."""
        board = self.brackets
        held, self._held = self._held, []
        companies = sorted({self.figures[f.target]["company"] for f in held})
        if not self._derive_versions(companies):
            return False
        done, back = [], []
        for target_url in sorted({f.target for f in held}):
            known = self._outcomes(self.store.target_listing(self.target_ids[target_url], self.archive.key))
            for fetch in (f for f in held if f.target == target_url):
                if fetch.digest in known:
                    board.record(fetch, known[fetch.digest])
                    done.append(fetch)
                else:
                    back.append(fetch)
            board.advance(target_url)
        for fetch in done:  # after the plan: a worker killed before this leaves the fetch to be taken again
            if not board.complete(fetch):
                self.crawler.stats.inc_value("policytrail/bracket_leases_lost")
        for fetch in back:
            board.release(fetch)
        self.crawler.stats.inc_value("policytrail/bracket_fetches", len(done))
        return True

    def _stop_polling(self) -> None:
        poller = getattr(self, "_poller", None)
        if poller is not None and not poller.done():
            poller.cancel()

    async def _poll_brackets(self) -> None:
        """While the crawl waits on other workers' fetches: renew this crawl's leases, and take fetches
        as soon as the queue has some (or close once every shared search is over)."""
        board = self.brackets
        engine = self.crawler.engine
        while not self._search_done and self.stop_error is None and self._closing is None:
            await asyncio.sleep(POLL_SECONDS)
            now = asyncio.get_running_loop().time()
            if self._held and now - self._renewed >= board.queue.lease / 3:
                self._renewed = now
                for fetch in self._held:
                    board.renew(fetch)
            if not self._waiting or not engine.spider_is_idle():
                continue
            requests = self._bracket_round_or_stop()
            if requests is None:
                continue
            self._waiting = False
            if not requests:
                self._search_done = True
                self._closing = asyncio.ensure_future(engine.close_spider_async(reason="finished"))
                return
            for request in requests:
                engine.crawl(request)

    def _fetch(self, record: CdxRecord, target_id: int):
        """A memento request for this capture, unless its body is stored or already asked for."""
        is_redirect = record.statuscode.startswith("3")  # same body, another Location: fetch each
        key = (record.url, record.timestamp) if is_redirect else record.digest
        if key in self.requested or (not is_redirect and self.store.has_snapshot(record.digest)):
            return
        if not is_redirect and self.store.body_gave_up(self.archive.key, record.digest):
            self.crawler.stats.inc_value("policytrail/gave_up")  # a new capture of a body given up on
            return
        self.requested.add(key)
        request = self._memento_request(record.timestamp, record.url, capture=record, target_id=target_id)
        # fairness: each target's n-th fetch has priority -n, so targets take turns and one company
        # with 20,000 captures does not starve the others (listings, at priority 0, come first)
        figures = self._figures_by_id[target_id]
        request.priority = -figures["queued"]
        figures["queued"] += 1
        yield request

    # -- mementos ----------------------------------------------------------------------
    def _memento_request(
        self, timestamp: str, url: str, *, capture, target_id: int, hops: int = 0, seen: tuple = ()
    ) -> scrapy.Request:
        return scrapy.Request(
            self.archive.memento_url(timestamp, url),
            callback=self.parse_memento,
            errback=self.memento_failed,
            dont_filter=True,
            meta={
                "download_slot": MEMENTO_SLOT,
                "capture": capture,
                "target_id": target_id,
                "hops": hops,
                "seen": seen + ((timestamp, url),),
                "handle_httpstatus_all": True,
                "dont_redirect": True,
            },
        )

    def parse_memento(self, response):
        meta = response.meta
        capture, hops = meta["capture"], meta["hops"]
        stats = self.crawler.stats
        stats.inc_value("policytrail/mementos")
        memento_dt = response.headers.get(b"Memento-Datetime")
        status = response.status
        location = response.headers.get(b"Location")
        here = self.archive.parse_memento_url(response.url) or (capture.timestamp, capture.url)

        if 300 <= status < 400 and location:
            try:
                ts, url = self.archive.resolve_redirect(location.decode("latin-1"), response.url, here[0])
            except UnexpectedResponseFormat as exc:
                yield self._outcome(capture, "skipped", f"redirect: {exc}")
                return
            redirect_to = url
            if memento_dt is not None:  # an archived redirect: a fact worth keeping
                yield from self._snapshot(response, capture, hops, here, redirect_to=redirect_to)
            if (ts, url) in meta["seen"]:
                yield self._outcome(capture, "skipped", "redirect loop in the archive")
                return
            if hops >= self.max_hops:
                if memento_dt is None:
                    yield self._outcome(
                        capture, "failed", f"more than {self.max_hops} redirects in the archive", meta["target_id"]
                    )
                return
            stats.inc_value("policytrail/redirects_followed")
            yield self._memento_request(
                ts, url, capture=capture, target_id=meta["target_id"], hops=hops + 1, seen=meta["seen"]
            )
            return
        # an archived answer carries Memento-Datetime; a 2xx without it is still the memento asked
        # for (archives that do not speak Memento), but an error without it is the archive's own
        if memento_dt is None and not 200 <= status < 300:
            if hops == 0:
                why = (
                    "no memento: the archive cannot replay this capture"
                    if status == 404
                    else f"the archive answered HTTP {status}"
                )
                yield self._outcome(capture, "failed", why, meta["target_id"])
            else:
                logger.info("Archived redirect of %s leads nowhere in the archive (HTTP %s)", capture.url, status)
            return
        yield from self._snapshot(response, capture, hops, here)

    def _snapshot(self, response, capture, hops: int, here: tuple[str, str], redirect_to: str | None = None):
        self._figures_by_id[response.meta["target_id"]]["fetched"] += 1
        body = response.body
        computed = payload_digest(body)
        headers = {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()}
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        mimetype = content_type.split(";")[0].strip().lower()
        if hops == 0:
            digest, url, ts = capture.digest, capture.url, capture.timestamp
            digest_ok = computed == digest if has_archive_digest(digest) else None
        else:
            # reached through an archived redirect: a capture of its own, keyed by its payload digest
            memento_dt = response.headers.get(b"Memento-Datetime")
            ts = (http_date_to_ts(memento_dt.decode("latin-1")) if memento_dt else None) or here[0]
            url, digest, digest_ok = here[1], computed, True
            yield CaptureItem(
                target_id=response.meta["target_id"],
                archive=self.archive.key,
                url=url,
                timestamp=ts,
                statuscode=str(response.status),
                mimetype=mimetype or "unk",
                digest=digest,
                length=len(body),
                source="redirect",
            )
        yield SnapshotItem(
            archive=self.archive.key,
            url=url,
            timestamp=ts,
            digest=digest,
            body=body,
            headers=headers,
            status=response.status,
            mimetype=mimetype,
            fetched_url=response.url,
            sha256=hashlib.sha256(body).hexdigest(),
            digest_ok=digest_ok,
            redirect_to=redirect_to,
        )

    def _outcome(self, capture, state: str, reason: str, target_id: int | None = None) -> CaptureOutcome:
        self.crawler.stats.inc_value(f"policytrail/{state}")
        if state == "failed" and target_id in self._figures_by_id:
            self._figures_by_id[target_id]["failed"] += 1
        return CaptureOutcome(
            archive=self.archive.key,
            url=capture.url,
            timestamp=capture.timestamp,
            digest=capture.digest,
            state=state,
            reason=reason,
        )

    # -- failures ----------------------------------------------------------------------
    def cdx_failed(self, failure):
        if failure.check(IgnoreRequest):
            return
        stats = self.crawler.stats
        stats.inc_value("policytrail/cdx_failed")
        if failure.check(*CONNECTION_FAILURES):
            stats.inc_value("policytrail/cdx_unreachable")
            self._unreachable = self._unreachable or ArchiveUnreachable(
                f"The archive at {self.archive.base} could not be reached ({failure.getErrorMessage()[:200]}). "
                f"Check the network (or --archive), then run the same command again: nothing was lost."
            )
        logger.error("Listing %s failed: %s", failure.request.meta.get("target_url"), failure.getErrorMessage())
        if failure.request.meta.get("target_id") in self._figures_by_id:
            self._listing_done(failure.request.meta["target_id"], failed=True)

    def record_error(self, error: PolicytrailError) -> bool:
        """Hold ``error`` against this run (the first one wins); whoever ran the crawl raises it."""
        if self.stop_error is not None:
            return False
        self.stop_error = error
        return True

    def stop(self, error: PolicytrailError, reason: str) -> None:
        """Close the crawl now because of ``error``."""
        if self.record_error(error):
            self._closing = asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=reason))

    def outcome(self, finish_reason: str | None) -> PolicytrailError | None:
        """Why this finished crawl did not succeed, or None: success needs a clean finish reason."""
        if self.stop_error is not None:
            return self.stop_error
        if self._unreachable is not None and not self._reached:
            return self._unreachable
        stats = self.crawler.stats
        if stats.get_value("policytrail/refused_outside_archive", 0):
            return CrawlFailures("Some archived redirects pointed outside the archive and were refused (see the log).")
        failed_lists = stats.get_value("policytrail/cdx_failed", 0)
        failed = stats.get_value("policytrail/failed", 0)
        if failed_lists or failed:
            return CrawlFailures(
                f"Finished with failures: {failed_lists} listing(s) and {failed} capture fetch(es) failed; "
                f"a later run retries them."
            )
        if finish_reason != "finished":
            return CrawlFailures(f"The crawl ended early ({finish_reason}).")
        return None

    def memento_failed(self, failure):
        if failure.check(IgnoreRequest):
            return None  # stopped on rate limits: the capture stays pending for the next run
        capture = failure.request.meta["capture"]
        return self._outcome(
            capture,
            "failed",
            f"fetch failed: {failure.type.__name__}: {failure.getErrorMessage()}"[:300],
            failure.request.meta["target_id"],
        )
