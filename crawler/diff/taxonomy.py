"""The topic taxonomy (``taxonomy.toml``) and its phrase rules."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    pattern: re.Pattern


class Taxonomy:
    def __init__(self, topics: list[Topic], fingerprint: str = ""):
        self.topics = topics
        # which taxonomy tagged a clause: a hash of the rules, so an edited taxonomy re-tags
        self.fingerprint = fingerprint

    @lru_cache(maxsize=65536)  # noqa: B019 -- taxonomies live as long as the process
    def match(self, text: str) -> list[str]:
        """Ids of the topics whose rules match ``text``, in taxonomy order."""
        lowered = text.lower()
        return [t.id for t in self.topics if t.pattern.search(lowered)]


def tag_clauses(clauses: list, taxonomy: Taxonomy | None = None) -> list:
    """The clauses with their topics: a property of each clause text, computed once per version."""
    taxonomy = taxonomy or load_taxonomy()
    return [dataclasses.replace(c, tags=tuple(taxonomy.match(c.text))) for c in clauses]


@lru_cache(maxsize=8)
def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy at ``path``, or the bundled one (read as a package resource: also from a
    zipped egg under Scrapyd)."""
    source = Path(path) if path else files("crawler.diff").joinpath("taxonomy.toml")
    raw = source.read_text(encoding="utf-8")
    data = tomllib.loads(raw)
    topics = []
    for entry in data.get("topic", []):
        rules = "|".join(f"(?:{r})" for r in entry["rules"])
        # rules are written in lower case and matched against lower-cased text
        topics.append(Topic(entry["id"], entry["label"], re.compile(rf"\b(?:{rules})\b")))
    return Taxonomy(topics, "tax-" + hashlib.sha256(raw.encode()).hexdigest()[:12])
