"""Derive: the one idempotent step from stored facts to versions, spans, clauses and changes."""

from crawler.derive.changes import compare, load_clauses
from crawler.derive.derive import DeriveReport, derive
from crawler.derive.reextract import reextract

__all__ = ["DeriveReport", "compare", "derive", "load_clauses", "reextract"]
