"""Extraction: archived bytes + content type -> structured policy text, or a typed "not a policy" verdict.

Also the text's normal form, its hash and the version key (its words without layout), the date a
policy states for itself, and per-target rules. Nothing here hashes into or reads from the database.
"""

from crawler.extract.blocks import MAIN_SLOT
from crawler.extract.normalize import (
    REPLACEMENT,
    key_text,
    key_text_with_replacements,
    normalize_text,
    same_key_words,
    same_words,
    text_hash,
    version_key,
)
from crawler.extract.page import EXTRACTOR_VERSION, Extraction, extract, skeleton, skip_match
from crawler.extract.policydate import stated_date
from crawler.extract.rules import Rule, Rules, SkipRule, load_rules

__all__ = [
    "EXTRACTOR_VERSION",
    "MAIN_SLOT",
    "REPLACEMENT",
    "Extraction",
    "Rule",
    "Rules",
    "SkipRule",
    "extract",
    "key_text",
    "key_text_with_replacements",
    "load_rules",
    "normalize_text",
    "same_key_words",
    "same_words",
    "skeleton",
    "skip_match",
    "stated_date",
    "text_hash",
    "version_key",
]
