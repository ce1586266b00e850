"""Extraction: archived bytes + content type -> structured policy text, or a typed "not a policy" verdict.

Also the text's normal form and hash (the version key), the date a policy states for itself,
and per-target rules. Nothing here hashes into or reads from the database.
"""

from crawler.extract.normalize import normalize_text, text_hash
from crawler.extract.page import EXTRACTOR_VERSION, Extraction, extract, skip_match
from crawler.extract.policydate import stated_date
from crawler.extract.rules import Rule, Rules, SkipRule, load_rules

__all__ = [
    "EXTRACTOR_VERSION",
    "Extraction",
    "Rule",
    "Rules",
    "SkipRule",
    "extract",
    "load_rules",
    "normalize_text",
    "skip_match",
    "stated_date",
    "text_hash",
]
