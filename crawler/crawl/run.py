"""Run the Wayback spider in this process and report how it ended.

Used by ``policytrail crawl`` and ``policytrail demo``. Settings come from
``crawler.settings`` plus explicit overrides, never from the working directory, so the
same crawl runs from any directory (and under Scrapyd, where the spider's own close
handling does the post-crawl work).
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import BaseSettings, Settings

from crawler.archive import Archive
from crawler.crawl.targets import load_targets
from crawler.errors import EXIT_OK, CrawlFailures, Interrupted, PolicytrailError, UsageError
from crawler.extract.rules import load_rules
from crawler.options import CDX_PAGE_SIZE, check_number, check_rate
from crawler.store.lock import DatabaseLock
from crawler.store.store import Store

logger = logging.getLogger(__name__)


@dataclass
class CrawlResult:
    """How a crawl ended: the error that stopped or spoiled it (its class carries the exit code), or none."""

    exit_code: int
    message: str
    stats: dict = field(default_factory=dict)
    summary: list[dict] = field(default_factory=list)
    error: PolicytrailError | None = None

    def as_dict(self) -> dict:
        """The ``--json`` summary: what a job runner needs to decide and to report."""
        ours = {k.split("/", 1)[1]: v for k, v in self.stats.items() if k.startswith("policytrail/")}
        return {
            "exit_code": self.exit_code,
            "message": self.message,
            "error": type(self.error).__name__ if self.error else None,
            "run_id": ours.pop("run_id", None),
            "finish_reason": self.stats.get("finish_reason"),
            "started": _iso(self.stats.get("start_time")),
            "finished": _iso(self.stats.get("finish_time")),
            "companies": self.summary,
            "figures": {k: v for k, v in ours.items() if k not in ("phase", "company_versions")},
        }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# Settings whose default is a whole number but whose readers take any number (seconds, rates, days):
# checked with getfloat, not with getint (which would refuse -s DOWNLOAD_TIMEOUT=0.5).
READ_AS_FLOAT = frozenset(
    {
        "DOWNLOAD_TIMEOUT",
        "DOWNLOAD_DELAY",
        "DNS_TIMEOUT",
        "POLICYTRAIL_CDX_PER_MINUTE",
        "POLICYTRAIL_MEMENTOS_PER_MINUTE",
        "POLICYTRAIL_OVERLAP_DAYS",
        "POLICYTRAIL_RETRY_AFTER_DEFAULT",
    }
)


# numeric settings a user may give with -s, and their bounds (low, high, whole): a timeout of 0 would
# hang, a 1e300-day overlap overflow the dates
BOUNDED_SETTINGS = {
    "DOWNLOAD_TIMEOUT": (0.1, 3600, False),
    "DNS_TIMEOUT": (0.1, 600, False),
    "DOWNLOAD_DELAY": (0, 3600, False),
    "POLICYTRAIL_OVERLAP_DAYS": (0, 3650, False),
    "POLICYTRAIL_RETRY_AFTER_DEFAULT": (1, 86400, False),
    "POLICYTRAIL_MAX_REDIRECT_HOPS": (0, 50, True),
    "POLICYTRAIL_PLAN_BATCH": (1, 1_000_000, True),
    "POLICYTRAIL_BUDGET_WINDOW": (1, 3600, True),
    "POLICYTRAIL_LEASE_SECONDS": (1, 86400, False),
    "POLICYTRAIL_BRACKETS_FROM": (1, 10_000_000, True),
    "POLICYTRAIL_BRACKET_TAKE": (0, 1000, True),
}


# settings with an option of their own, whose checks -s must not bypass
OWN_OPTIONS = {
    "POLICYTRAIL_DB": "--db",
    "POLICYTRAIL_TARGETS": "--targets",
    "POLICYTRAIL_ARCHIVE": "--archive",
    "POLICYTRAIL_DIALECT": "--dialect",
    "POLICYTRAIL_COLLECTION": "--collection",
    "POLICYTRAIL_RULES": "--rules",
    "LOG_FILE": "--log-file",
    "LOG_LEVEL": "-v or -q",
}


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    """``-s NAME=VALUE`` pairs as settings; Scrapy's getters parse the strings (numbers, booleans, JSON).

    A value the setting's reader could not parse is refused here (exit 2), before anything starts:
    deep inside Scrapy it would be a traceback, and a crawl that never ran.
    """
    out = {}
    defaults = None
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not name.strip().isupper():
            raise UsageError(f"-s expects NAME=VALUE with an upper-case setting name, got {pair!r}")
        if name.strip() in OWN_OPTIONS:  # checked there (e.g. never the database); not behind its back
            raise UsageError(f"-s {name.strip()} is set with {OWN_OPTIONS[name.strip()]}, not with -s")
        if defaults is None:
            defaults = Settings()  # Scrapy's defaults, then ours
            defaults.setmodule("crawler.settings", priority="project")
        check_setting(name.strip(), value, defaults.get(name.strip()))
        out[name.strip()] = value
    return out


def check_setting(name: str, value: str, default) -> None:
    """Refuse ``value`` for the setting ``name`` if the getter that reads it raises; the type is the default's.

    Settings without a default (ours for tests, or unknown ones) and text or list settings pass as given.
    """
    if isinstance(default, bool):
        want, getter = "true or false", "getbool"
    elif isinstance(default, float) or name in READ_AS_FLOAT:
        want, getter = "a finite number", "getfloat"
    elif isinstance(default, int):
        want, getter = "a whole number", "getint"
    elif isinstance(default, (dict, BaseSettings)):
        want, getter = "a JSON object", "getdict"
    else:
        return
    try:
        parsed = getattr(Settings({name: value}), getter)(name)  # a dict setting parses its JSON on set
        if getter == "getfloat" and not math.isfinite(parsed):
            raise ValueError(value)
    except (ValueError, TypeError):
        raise UsageError(f"-s {name}: must be {want}, not {value!r}") from None


def crawl_settings(
    *,
    db: str | Path,
    targets: str | Path,
    archive: Archive,
    companies: tuple[str, ...] = (),
    cdx_per_minute: float | None = None,
    mementos_per_minute: float | None = None,
    unthrottled: bool = False,
    user_agent: str | None = None,
    log_level: str = "WARNING",
    log_file: str | None = None,
    full: bool = False,
    cdx_page_size: int | None = None,
    strategy: str | None = None,
    refine: bool = False,
    estimate: bool = False,
    extra: dict | None = None,
) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if unthrottled and not archive.is_local:
        raise UsageError(
            f"--unthrottled is only allowed for an archive on this machine (127.0.0.1), "
            f"not {archive.base}: the rate limits protect the archive and your IP address"
        )
    for key, value in {
        "POLICYTRAIL_DB": str(db),
        "POLICYTRAIL_TARGETS": str(targets),
        "POLICYTRAIL_ARCHIVE": archive.base,
        "POLICYTRAIL_DIALECT": archive.dialect,
        "POLICYTRAIL_COLLECTION": archive.collection,
        "POLICYTRAIL_COMPANIES": list(companies),
        "POLICYTRAIL_CDX_PER_MINUTE": cdx_per_minute,
        "POLICYTRAIL_MEMENTOS_PER_MINUTE": mementos_per_minute,
        "POLICYTRAIL_UNTHROTTLED": unthrottled,
        "USER_AGENT": user_agent,
        "LOG_LEVEL": log_level,
        "LOG_FILE": log_file,
        "POLICYTRAIL_FULL": full,
        "POLICYTRAIL_CDX_PAGE_SIZE": cdx_page_size,
        "POLICYTRAIL_STRATEGY": strategy,
        "POLICYTRAIL_REFINE": refine or None,
        "POLICYTRAIL_ESTIMATE": estimate or None,
        **({"POLICYTRAIL_DERIVE_ON_CLOSE": False} if estimate else {}),
        **(extra or {}),
    }.items():
        if value is not None:
            settings.set(key, value, priority="cmdline")
    _check_numbers(settings, archive)
    return settings


def _check_numbers(settings: Settings, archive: Archive) -> None:
    """The rates and page size, from an option or ``-s``: finite, bounded, polite to a remote archive."""
    for key, option, kind in (
        ("POLICYTRAIL_CDX_PER_MINUTE", "--cdx-per-minute", "cdx"),
        ("POLICYTRAIL_MEMENTOS_PER_MINUTE", "--mementos-per-minute", "mementos"),
    ):
        name = f"{option} ({key})"
        rate = check_rate(settings.get(key), name=name, kind=kind, is_local=archive.is_local, archive=archive.base)
        settings.set(key, rate, priority=settings.getpriority(key))
    key = "POLICYTRAIL_CDX_PAGE_SIZE"
    size = check_number(
        settings.get(key), name=f"--cdx-page-size ({key})", low=CDX_PAGE_SIZE.low, high=CDX_PAGE_SIZE.high, integer=True
    )
    settings.set(key, size, priority=settings.getpriority(key))
    for key, (low, high, integer) in BOUNDED_SETTINGS.items():
        if settings.get(key) is not None:
            value = check_number(settings.get(key), name=f"-s {key}", low=low, high=high, integer=integer)
            settings.set(key, value, priority=settings.getpriority(key))


def run_crawl(settings: Settings) -> CrawlResult:
    """Validate the targets, crawl, and say how it ended (the spider's ``outcome``: an error or none)."""
    from spiders.wayback import WaybackSpider

    companies = tuple(settings.getlist("POLICYTRAIL_COMPANIES"))
    targets = load_targets(settings.get("POLICYTRAIL_TARGETS"), companies)  # exit 2 before any request
    load_rules(settings.get("POLICYTRAIL_RULES"))  # likewise for a broken rules file
    db = settings.get("POLICYTRAIL_DB")
    with DatabaseLock(db) as lock:  # exit 75 at once if another run holds the database
        Store(db).close()  # a broken database fails here, cleanly
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(WaybackSpider)
        # the lock itself, not a setting, tells the spider it is held: no -s can switch it off
        process.crawl(crawler, held_lock=lock)
        with StopOnSignals(process) as interrupts:
            process.start(install_signal_handlers=False)  # ours do what Scrapy's do, and remember
    logging.getLogger().handlers.clear()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    store = Store.open_readonly(db)  # the lock is released: read, never write
    summary = store.company_summary(sorted({t.company for t in targets}))
    store.close()
    if settings.getbool("POLICYTRAIL_ESTIMATE"):
        summary = estimate_rows(db, sorted({t.company for t in targets}), settings)
    error = crawl_error(crawler, process, stats.get("finish_reason"), interrupts.received)
    if error is None:
        return CrawlResult(EXIT_OK, "Finished.", stats=stats, summary=summary)
    return CrawlResult(error.exit_code, str(error), stats=stats, summary=summary, error=error)


def estimate_rows(db: str | Path, companies: list[str], settings: Settings) -> list[dict]:
    """Per company, from the stored listing only: captures, distinct digests, the fetches each strategy
    would make (``all`` exactly, counting what is stored already; ``changes`` an upper bound) and the
    time each takes at the configured limits (CDX pages included)."""
    from crawler.crawl.strategy import Listed, Listing, estimate
    from crawler.crawl.strategy import Settings as PlanSettings

    plan_settings = PlanSettings().refined() if settings.getbool("POLICYTRAIL_REFINE") else PlanSettings()
    mementos = settings.getfloat("POLICYTRAIL_MEMENTOS_PER_MINUTE")
    cdx = settings.getfloat("POLICYTRAIL_CDX_PER_MINUTE")
    page = settings.getint("POLICYTRAIL_CDX_PAGE_SIZE")
    unthrottled = settings.getbool("POLICYTRAIL_UNTHROTTLED")
    store = Store.open_readonly(db)
    out = []
    try:
        for company in companies:
            row = {"company": company, "captures": 0, "digests": 0, "fetch_all": 0, "fetch_changes": 0}
            for doc_id, _, _ in store.documents([company]):
                listing = Listing(
                    [Listed(r[1], r[2], r[3] or "-", r[4] or "unk", r[5]) for r in store.document_listing(doc_id)],
                    plan_settings,
                )
                figures = estimate(listing)
                row["captures"] += figures["captures"]
                row["digests"] += figures["digests"]
                row["fetch_all"] += figures["all"]
                row["fetch_changes"] += figures["changes"]
            pages = -(-row["captures"] // page) if row["captures"] else 1
            for name in ("all", "changes"):
                minutes = row[f"fetch_{name}"] / mementos + pages / cdx
                row[f"time_{name}"] = "unthrottled" if unthrottled else _minutes(minutes)
            out.append(row)
    finally:
        store.close()
    return out


def _minutes(minutes: float) -> str:
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def crawl_error(crawler, process, finish_reason: str | None, signals: list[int]) -> PolicytrailError | None:
    """Why the crawl did not succeed, or None. Success is positive evidence: no signal, Scrapy's own
    ``finished`` reason, and nothing the spider holds against the run (``outcome``)."""
    if signals and finish_reason in (None, "shutdown", "finished"):  # not stopped for a reason of its own
        name = signal.Signals(signals[0]).name
        how = f"{name} twice: stopped at once" if len(signals) > 1 else name
        return Interrupted(f"Interrupted by {how}; progress is saved: run the same command again to resume.")
    if process.bootstrap_failed or crawler.spider is None:
        return CrawlFailures("The crawl could not start (see the error above); nothing was crawled.")
    return crawler.spider.outcome(finish_reason)


class StopOnSignals:
    """SIGINT (Ctrl-C) and SIGTERM during a crawl, handled as Scrapy handles them, and remembered.

    The first asks for a graceful stop: requests in flight end, the pipeline stores what they bring
    and derives, the run is finished as ``shutdown``. The second stops the reactor at once (a stalled
    request may take DOWNLOAD_TIMEOUT to end): the pipeline's shutdown trigger finishes the run as
    ``interrupted``. Later ones are ignored while the process winds down. Either way ``received``
    says the crawl was interrupted, and the exit code says so (``Interrupted``, 130).
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, process: CrawlerProcess):
        self.process = process
        self.received: list[int] = []
        self._previous: dict = {}

    def __enter__(self) -> StopOnSignals:
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, _frame) -> None:
        # a signal handler only records and hands over: logging here could re-enter a write to the same stream
        from twisted.internet import reactor

        self.received.append(signum)
        if len(self.received) == 1:
            reactor.callFromThread(self._stop_gracefully, signum)
        else:
            for other in self.SIGNALS:
                signal.signal(other, signal.SIG_IGN)
            reactor.callFromThread(self._stop_now, signum)

    def _stop_gracefully(self, signum: int) -> None:
        logger.warning(
            "Received %s: stopping once the requests in flight end (send it again to stop at once).",
            signal.Signals(signum).name,
        )
        self.process.stop()

    def _stop_now(self, signum: int) -> None:
        from twisted.internet import reactor

        logger.warning("Received %s twice: stopping now.", signal.Signals(signum).name)
        with contextlib.suppress(RuntimeError):  # ReactorNotRunning: it is stopping already
            reactor.stop()
