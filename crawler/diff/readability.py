"""How long a policy text is and how hard it is to read: words, sentences and a reading grade.

The counts and the formula are textstat's (a maintained library), not written here. The grade is
the Coleman–Liau index: the US school grade a reader needs, from letters per word and sentences
per word. The syllable-based formulas (Flesch–Kincaid, SMOG, Gunning fog) are left out on
purpose: from textstat 0.7.10 on, counting English syllables downloads NLTK's CMU dictionary the
first time it is asked, and derive never reaches any host but the archive (the tests block the
network while these figures are computed).

A stored text keeps its structure (``#`` headings, ``-`` and ``1.`` items, ``a | b`` table rows,
paragraphs, one per line). Each line is read as one unit: its markers (heading mark, bullet,
numbering) are dropped and, when it does not end a sentence itself, it gets a full stop -- so a
heading or a list item does not run into the sentence after it and make one long sentence of both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

# The preparation below; bump it when it changes, so that derive computes every version's figures again.
PROSE_VERSION = "prose-1"

_MARKER = re.compile(r"^(?:#{1,6}\s+|[-*•+]\s+|\(?[0-9]{1,3}(?:\.[0-9]{1,3})*[.)]\s+|\(?[a-z][.)]\s+)")
_CELL = re.compile(r"\s+\|\s+")
_ENDS = re.compile(r"[.!?][\"'”’)\]]*$")


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    grade: float | None  # Coleman–Liau index, to one decimal (as grades are given); None for a text without words


@lru_cache(maxsize=1)
def readability_id() -> str:
    """What made the figures: formula, library version and text preparation (stored with them, so
    that an upgrade of any of them recomputes every version's figures on the next derive)."""
    return f"coleman-liau/textstat-{version('textstat')}/{PROSE_VERSION}"


def prose(text: str) -> str:
    """The text as running prose: one unit per line, markers dropped, each unit ending a sentence."""
    units = []
    for line in text.splitlines():
        line = line.strip()
        for _ in range(2):  # a heading mark, then its numbering ("## 3. Sharing")
            line = _MARKER.sub("", line)
        line = _CELL.sub(", ", line).strip()
        if not any(ch.isalnum() for ch in line):
            continue  # blank lines, rules such as "* * *"
        units.append(line if _ENDS.search(line) else line + ".")
    return " ".join(units)


def readability_of(text: str) -> Readability:
    """Words, sentences and reading grade of a stored policy text (pure; nothing is downloaded)."""
    import textstat  # imported here: it takes a quarter of a second, and only derive needs it

    running = prose(text)
    words = textstat.lexicon_count(running)
    if not words:
        return Readability(0, 0, None)
    return Readability(words, textstat.sentence_count(running), round(textstat.coleman_liau_index(running), 1))
