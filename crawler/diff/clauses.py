"""Segment a version's text into clauses, each with its section path.

A clause is what a reader sees as one block: a heading, a list item, a table row or a
paragraph, whatever its length. (Sentences are no clauses: a clause's identity never depends
on a length threshold; the differ aligns sentences inside and across clauses, see align.py.)
Each clause keeps the exact separator that follows it, so ``rebuild(segment(text)) == text``:
a clause diff applied to the old version rebuilds the new text exactly.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

# "syntok-300" (before issue 15) cut paragraphs over 300 characters into sentence clauses.
SEGMENTER_VERSION = "blocks-1"
SECTION_SEPARATOR = " › "

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BOLD_LINE = re.compile(r"^\*\*([^*]{1,150})\*\*:?$")
_ITEM = re.compile(r"^\s*(?:[-*•]|\(?[0-9]{1,3}[.)]|\(?[a-z][.)])\s+")
_NUMBERING = re.compile(r"^\s*(?:[0-9]+(?:\.[0-9]+)*\.?|[IVXLC]+\.|[A-Z]\.|\(?[a-z]\))\s+")
_LINES = re.compile(r"([^\n]*)(\n*)")


@dataclass(frozen=True)
class Clause:
    """One clause of a version: its text, what follows it, what it is and where it sits."""

    text: str
    sep: str
    kind: str  # heading | item | row | paragraph (``sentence`` in clauses stored by segmenter syntok-300)
    section: str
    position: int
    tags: tuple[str, ...] | None = None  # topics, when tagged (see taxonomy.tag_clauses)

    @property
    def hash(self) -> str:
        return clause_hash(self.text)


def clause_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rebuild(clauses: list[Clause]) -> str:
    """The version text the clauses came from."""
    return "".join(c.text + c.sep for c in clauses)


def _heading(line: str) -> tuple[int, str] | None:
    m = _HEADING.match(line)
    if m:
        return len(m.group(1)), m.group(2).strip()
    m = _BOLD_LINE.match(line.strip())
    if m:
        return 7, m.group(1).strip()
    return None


def section_label(heading: str) -> str:
    """Heading text as it appears in a section path (markdown emphasis dropped)."""
    return re.sub(r"[*_`]+", "", heading).strip()


def segment(text: str) -> list[Clause]:
    """Clauses of ``text`` in order; their texts and separators concatenate back to ``text``."""
    clauses: list[Clause] = []
    path: list[tuple[int, str]] = []
    lead = text[: len(text) - len(text.lstrip("\n"))]
    if lead:  # leading blank lines belong to no clause: keep them on an empty first clause
        clauses.append(Clause("", lead, "paragraph", "", 0))
    for m in _LINES.finditer(text, len(lead)):
        line, newlines = m.group(1), m.group(2)
        if not line and not newlines:
            continue
        if not line.strip():  # a line of spaces is no clause: it joins the separator before it
            if clauses:
                clauses[-1] = replace(clauses[-1], sep=clauses[-1].sep + line + newlines)
            else:
                clauses.append(Clause("", line + newlines, "paragraph", "", 0))
            continue
        head = _heading(line)
        if head:
            level, title = head
            while path and path[-1][0] >= level:
                path.pop()
            section = SECTION_SEPARATOR.join(section_label(t) for _, t in path)
            clauses.append(Clause(line, newlines, "heading", section, len(clauses)))
            path.append((level, title))
            continue
        section = SECTION_SEPARATOR.join(section_label(t) for _, t in path)
        if line.lstrip().startswith("|") or " | " in line:
            kind = "row"
        elif _ITEM.match(line):
            kind = "item"
        else:
            kind = "paragraph"
        clauses.append(Clause(line, newlines, kind, section, len(clauses)))
    return clauses


def strip_numbering(text: str) -> str:
    """A heading or item without its number: ``3.1 Sharing`` -> ``Sharing``."""
    return _NUMBERING.sub("", text.lstrip("#").strip(), count=1)
