"""Every default, defined once: the CLI, the Scrapy settings and the docs read them from here."""

from __future__ import annotations

DEFAULT_DB = "data/policytrail.db"
DEFAULT_TARGETS = "data/targets.csv"
DEMO_DB = "data/demo.db"
DEMO_WORKDIR = "data/.demo-archive"

DEFAULT_ARCHIVE = "https://web.archive.org"
DEFAULT_DIALECT = "ia"
DEFAULT_COLLECTION = "web"

# Unpublished IA limits (reported 2019-2026): CDX ~30/min, mementos ~600/min. Stay at 80%,
# at the archive's request: ignoring them gets the IP firewalled for an hour, doubling on repeat.
CDX_PER_MINUTE = 24
MEMENTOS_PER_MINUTE = 480
# ... which are the most a remote archive is ever asked for (README, "Numeric options"); an archive
# on 127.0.0.1 (demo, tests, benchmarks) may be asked for up to MAX_LOCAL_PER_MINUTE.
IA_CDX_PER_MINUTE_LIMIT = 30
IA_MEMENTOS_PER_MINUTE_LIMIT = 600
MAX_LOCAL_PER_MINUTE = 60_000
# At least one request a minute: a crawl stopped by SIGTERM or Ctrl-C finishes the requests already
# waiting in an endpoint's queue, about two intervals (measured: 13 s at 6/min, 113 s at 1/min; at
# 1e-9/min it never stopped).
MIN_PER_MINUTE = 1
# Save Page Now allows about 15 captures a minute per IP: policytrail save asks for 12 at most.
SAVE_PER_MINUTE_LIMIT = 12
SAVE_PER_MINUTE = 4.0
MAX_LOCAL_SAVES_PER_MINUTE = 600
# Retry-After to assume when a 429 has none; and how many 429s in a row stop the crawl.
RETRY_AFTER_DEFAULT = 60.0
MAX_429_IN_A_ROW = 3
# Archived redirects followed per capture, inside the archive only.
MAX_REDIRECT_HOPS = 5
# Rows asked for per CDX page. IA caps one query at ~150,000 rows; smaller pages answer faster
# and let a crawl resume between pages.
CDX_PAGE_SIZE = 5000
IA_CDX_MAX_ROWS = 150_000
# Incremental listing: ask CDX only for captures since the newest one listed, minus this overlap
# (the archive indexes captures late).
OVERLAP_DAYS = 30
# Bodies whose fetch failed this many times (over all their captures and runs) are not asked for again.
MAX_ATTEMPTS = 5
# the crawl's default fetch strategy (crawler/crawl/strategy.py: changes | all)
STRATEGY = "changes"
# `policytrail query`: the bounds of --time-limit (the runaway guard cannot be switched off).
QUERY_SECONDS = 10.0
MIN_QUERY_SECONDS = 0.1
MAX_QUERY_SECONDS = 3600.0
# `policytrail search`: the most --limit may ask for (--limit 0 shows all).
SEARCH_RESULTS = 500
MAX_SEARCH_RESULTS = 1_000_000
# `policytrail review`: clause changes shown per change (--clauses), and the most it may ask for.
REVIEW_CLAUSES = 40
MAX_REVIEW_CLAUSES = 100_000
