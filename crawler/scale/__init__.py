"""Growing past one machine: shard databases folded into one (``merge``), derive on several processes
(``parallel``). Nothing here needs more than the standard library and SQLite."""

from crawler.scale.merge import MergeReport, merge_shards

__all__ = ["MergeReport", "merge_shards"]
