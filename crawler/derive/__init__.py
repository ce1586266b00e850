"""Derive: the one idempotent step from stored facts to versions, spans, clauses and changes."""

from crawler.derive.changes import compare, load_clauses
from crawler.derive.derive import DeriveReport, derive, derive_versions
from crawler.derive.reextract import reextract

__all__ = ["DeriveReport", "compare", "derive", "derive_versions", "load_clauses", "reextract"]
