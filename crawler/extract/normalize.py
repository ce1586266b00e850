"""Normalise extracted policy text and hash it.

The hash must change when the policy's words change and only then. What it ignores:
Unicode compatibility forms (NFKC), typographic quotes and dashes (mapped to ASCII),
zero-width characters, NUL and other control characters, and runs of whitespace
(collapsed inside a line; trailing spaces and blank-line runs dropped; a line's indentation,
which marks nested list items, is kept). Dates, numbers, case and
punctuation inside the policy are kept: they are part of what the policy says.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

# Typographic quotes, dashes and spaces -> ASCII; invisible characters -> nothing.
_MAP = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys("\u00a0\u2007\u202f", " "),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
}
# A regex finds the few characters to map much faster than str.translate walks a long text.
_MAPPED = re.compile("[" + "".join(_MAP) + "]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t]+")
_BLANKS = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """The canonical form of a policy text, the one that is hashed and stored."""
    text = _MAPPED.sub(lambda m: _MAP[m.group()], unicodedata.normalize("NFKC", text))
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _BLANKS.sub("\n\n", "\n".join([_line(line) for line in text.split("\n")])).strip()


def _line(line: str) -> str:
    """Collapse spaces inside a line; keep its indentation (nested list items), drop trailing space.

    Most lines need only the ``rstrip``: the substring checks skip the regex for them.
    """
    line = line.rstrip()
    if "  " not in line and "\t" not in line:
        return line
    body = line.lstrip(" \t")
    return " " * (len(line) - len(body)) + _SPACES.sub(" ", body)


def text_hash(text: str, *, normalized: bool = False) -> str:
    """SHA-256 (hex) of the normalised text; stable across runs, machines and databases.

    Pass ``normalized=True`` for text that is already in canonical form (an extraction's text).
    """
    return hashlib.sha256((text if normalized else normalize_text(text)).encode("utf-8")).hexdigest()


# -- the version key: the words, not the layout ------------------------------------------------
# What a line's layout adds: heading marks, list markers (bullets and item numbers), indentation.
_MARKER = re.compile(r"^[ \t]*(?:#{1,6}|[-*+\u2022\u00b7\u25aa\u25e6]|\d{1,3}[.)])(?:[ \t]+|$)")
_CELL = re.compile(r"[ \t]+\|[ \t]+")
REPLACEMENT = "\ufffd"


def key_text(text: str) -> str:
    """The words and punctuation of a normalised text, without its layout: what the version key hashes.

    Left out: heading marks (``#``), list markers (``-``, ``*``, bullets, ``1.``, ``2)``),
    indentation, table cell separators (`` | ``), line and paragraph breaks, and U+FFFD
    replacement characters (bytes the page's encoding could not give). Everything else stays.
    """
    return " ".join(key_text_with_replacements(text).replace(REPLACEMENT, "").split())


def version_key(text: str) -> str:
    """The version key: SHA-256 (hex) of ``key_text`` of a normalised text."""
    return hashlib.sha256(key_text(text).encode("utf-8")).hexdigest()


def same_words(damaged: str, clean: str) -> bool:
    """Whether a text whose bytes were partly undecodable says what ``clean`` says: their key texts
    are equal where ``damaged`` is readable, each run of U+FFFD standing for what the replaced bytes
    were -- at most a few characters per replacement character, spaces included."""
    return same_key_words(key_text_with_replacements(damaged), key_text(clean))


def same_key_words(damaged: str, clean: str) -> bool:
    """``same_words`` on key texts already made (``key_text_with_replacements`` of the damaged text,
    ``key_text`` of the clean one), for comparing one text with many."""
    parts = re.split("(\ufffd+)", damaged)
    replaced = damaged.count(REPLACEMENT)
    if not len(damaged) - replaced <= len(clean) <= len(damaged) + 2 * replaced + 2 * len(parts):
        return False
    # where in ``clean`` the damaged text may have got to: each readable part must follow exactly, each
    # run of replacements may stand for up to 2n+2 characters (a few places at most: the runs are short)
    at = {0}
    for i, part in enumerate(parts):
        if i % 2 == 0:
            at = {k + len(part) for k in at if clean.startswith(part, k)}
        else:
            at = {k + gap for k in at for gap in range(2 * len(part) + 3) if k + gap <= len(clean)}
        if not at:
            return False
    return len(clean) in at


def key_text_with_replacements(text: str) -> str:
    """``key_text`` keeping the U+FFFD characters (for ``same_words``)."""
    return " ".join(" ".join(map(_key_line, text.split("\n"))).split())


@lru_cache(maxsize=1 << 15)
def _key_line(line: str) -> str:
    """One line without its layout marks (the same lines recur in every capture of a page: cached)."""
    return _CELL.sub(" ", _MARKER.sub("", line))
