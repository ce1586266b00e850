"""Storage: the only code that writes SQL (numbered migrations, named idempotent writes) and the database lock."""

from crawler.store.database import MIGRATIONS, SCHEMA_VERSION
from crawler.store.lock import DatabaseLock
from crawler.store.store import TERMINAL_STATES, Reading, Span, Store

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "TERMINAL_STATES", "DatabaseLock", "Reading", "Span", "Store"]
