"""Clause diffs: segmentation into clauses, alignment, word diffs, significance and topics; and
each text's length and readability.

Pure functions over texts: nothing here reads the database or renders output.
"""

from crawler.diff.align import DIFFER_VERSION, ClauseChange, ClauseDiff, diff_clauses
from crawler.diff.clauses import SEGMENTER_VERSION, Clause, segment
from crawler.diff.readability import Readability, readability_id, readability_of
from crawler.diff.taxonomy import Taxonomy, load_taxonomy, tag_clauses

__all__ = [
    "DIFFER_VERSION",
    "SEGMENTER_VERSION",
    "Clause",
    "ClauseChange",
    "ClauseDiff",
    "Readability",
    "Taxonomy",
    "diff_clauses",
    "load_taxonomy",
    "readability_id",
    "readability_of",
    "segment",
    "tag_clauses",
]
