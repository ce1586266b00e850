"""Scrapy settings for policytrail (``scrapy.cfg`` points here).

Politeness lives in Scrapy's own machinery: one download slot per archive endpoint
(CDX listing, mementos) with its own delay, computed from the per-minute limits below by
``WaybackSpider.update_settings``. AutoThrottle stays off: its minimum delay is the global
DOWNLOAD_DELAY, which would override the slots' limits.
"""

from crawler import __version__
from crawler import defaults as _d

BOT_NAME = "policytrail"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Identify honestly: the archive's operators should know who is asking and where to read about it.
USER_AGENT = f"policytrail/{__version__} (+https://github.com/policytrail/policytrail; privacy-policy history research)"

# --- policytrail ------------------------------------------------------------------------
POLICYTRAIL_DB = _d.DEFAULT_DB
POLICYTRAIL_TARGETS = _d.DEFAULT_TARGETS
POLICYTRAIL_ARCHIVE = _d.DEFAULT_ARCHIVE
POLICYTRAIL_DIALECT = _d.DEFAULT_DIALECT
# The archive's collection: "web" at the Internet Archive and in most pywb set-ups.
POLICYTRAIL_COLLECTION = _d.DEFAULT_COLLECTION
POLICYTRAIL_COMPANIES: list[str] = []
# Unpublished IA limits (reported 2019-2026): CDX ~30/min, mementos ~600/min. Stay at 80%.
POLICYTRAIL_CDX_PER_MINUTE = _d.CDX_PER_MINUTE
POLICYTRAIL_MEMENTOS_PER_MINUTE = _d.MEMENTOS_PER_MINUTE
# Lifts the limits, honoured only for an archive on 127.0.0.0/8 (demo, tests, benchmarks).
POLICYTRAIL_UNTHROTTLED = False
# Retry-After to assume when a 429 has none; and how many 429s in a row stop the crawl.
POLICYTRAIL_RETRY_AFTER_DEFAULT = _d.RETRY_AFTER_DEFAULT
POLICYTRAIL_MAX_429_IN_A_ROW = _d.MAX_429_IN_A_ROW
# Archived redirects followed per capture, inside the archive only.
POLICYTRAIL_MAX_REDIRECT_HOPS = _d.MAX_REDIRECT_HOPS
# Incremental listing: ask CDX only for captures since the newest one known, minus this overlap
# (the archive indexes captures late); POLICYTRAIL_FULL lists everything again.
POLICYTRAIL_OVERLAP_DAYS = _d.OVERLAP_DAYS
# Rows per CDX page (IA caps one query at ~150,000 rows; smaller pages answer faster).
POLICYTRAIL_CDX_PAGE_SIZE = _d.CDX_PAGE_SIZE
POLICYTRAIL_FULL = False
# The database lock is no setting: `policytrail crawl` hands the lock it holds to the spider;
# under `scrapy crawl` or Scrapyd the spider takes it itself. No -s can turn it off.
# Run derive (versions, spans) when the crawl closes, also under Scrapyd.
POLICYTRAIL_DERIVE_ON_CLOSE = True

# Which captures to fetch: "changes" (the default) fetches what places every policy change between two
# adjacent captures and infers the rest (crawler/crawl/strategy.py); "all" fetches every distinct body.
POLICYTRAIL_STRATEGY = _d.STRATEGY
# --refine: probe four times denser between fetched captures that agree (spends budget on what may hide).
POLICYTRAIL_REFINE = False
# --estimate: list through CDX only (no memento fetched, no derive) and report what each strategy costs.
POLICYTRAIL_ESTIMATE = False
# At most this many memento requests are handed to the scheduler per round of the change-point search.
POLICYTRAIL_PLAN_BATCH = 1000

# Per-target extraction rules (TOML, see crawler/extract/rules.py); none by default.
POLICYTRAIL_RULES = None
# Live progress display on a terminal (the CLI turns it on when stderr is a TTY).
POLICYTRAIL_PROGRESS = False

# --- Scrapy -----------------------------------------------------------------------------
ROBOTSTXT_OBEY = False  # the archive's APIs, not the sites, are fetched; limits above apply
REMOTE_CONTROL_ENABLED = False  # it executes code sent to it
TELNETCONSOLE_ENABLED = False
COOKIES_ENABLED = False
AUTOTHROTTLE_ENABLED = False
REDIRECT_ENABLED = False  # archived redirects are followed by the spider, inside the archive only
METAREFRESH_ENABLED = False
DOWNLOAD_DELAY = 0
CONCURRENT_REQUESTS = 16
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
# 429 is not retried blindly: ArchiveGuardMiddleware honours Retry-After instead.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
HTTPERROR_ALLOW_ALL = True
# The guard first (archive host only, 429s); reachability right after RetryMiddleware (550), next to
# the downloader, so that it sees every attempt before a retry and can stop retries once the verdict is in.
# Several workers (docs/scaling.md): the Redis that holds their shared rate budget and work queue,
# and the window (seconds) over which the budget counts each endpoint's per-minute rate.
POLICYTRAIL_REDIS_URL = None
POLICYTRAIL_BUDGET_WINDOW = 60
# `policytrail worker --brackets` (crawler/scale/brackets.py): the queue whose open brackets this crawl
# shares (its name), the lease of a fetch taken from it (seconds), who holds the leases (worker id),
# and how many fetches a crawl holds at a time (0: what its memento slot sends at once, so that a worker
# never sits on fetches another could be sending).
POLICYTRAIL_BRACKETS = None
POLICYTRAIL_LEASE_SECONDS = 120
POLICYTRAIL_WORKER_ID = ""
POLICYTRAIL_BRACKET_TAKE = 0
# a target with fewer captures that may hold the policy is searched by the crawl that listed it, alone
POLICYTRAIL_BRACKETS_FROM = 1000
DOWNLOADER_MIDDLEWARES = {
    "crawler.crawl.middlewares.ArchiveGuardMiddleware": 50,
    # more than one worker: every request takes a token of the shared budget in Redis (off without
    # POLICYTRAIL_REDIS_URL; crawler/scale/limiter.py)
    "crawler.scale.limiter.SharedBudgetMiddleware": 60,
    "crawler.crawl.middlewares.ArchiveReachabilityMiddleware": 560,
}
ITEM_PIPELINES = {"crawler.crawl.pipelines.StoragePipeline": 300}
EXTENSIONS = {"crawler.crawl.progress.CrawlProgress": 500}
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
