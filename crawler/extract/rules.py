"""Per-target extraction rules, opt-in, for sites where the generic extractor fails.

A rules file (TOML) holds ``[[rule]]`` tables::

    [[rule]]
    company = "Match"                      # required: the target's company
    url = "https://www.match.com/"         # optional: only captures whose URL starts with this
    from = 2020-01-01                      # optional: first capture time the rule reads (inclusive)
    until = 2023-06-30                     # optional: last one (inclusive; a date means the whole day)
    select = ["main .legal-content"]       # optional: CSS for the policy itself (all matches, in order)
    remove = [".promo", "#app-download"]   # optional: CSS for more chrome to drop
    note = "the 2020-2023 design wraps the policy in .legal-content"

Windows let old snapshots be read with the rules of their time. A rule's id is a hash of what
it does, so editing a rule re-extracts exactly the snapshots it reads (``policytrail reextract``).

``[[skip]]`` tables say which captures are *not* the policy, whatever the extractor reads in them
(a researcher's judgement written once for many captures, like Open Terms Archive's filters)::

    [[skip]]
    company = "Match"                      # required
    url = "https://www.match.com/"         # optional URL prefix
    from = 2021-03-01                      # optional validity window, as for [[rule]]
    until = 2021-06-30
    select = ["form#login"]                # captures where any of these CSS selectors matches ...
    text = ["Sign in to continue"]         # ... or whose text holds any of these (case-insensitive)
    note = "a login wall served at the policy URL in spring 2021"

Derive applies them (``crawler.derive.judgements``) and reports a rule that matches nothing in its
window, or that stopped matching part-way through it (the site changed: close its window).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from lxml import etree
from lxml.cssselect import CSSSelector, SelectorError

from crawler.archive.timestamps import TS_FORMAT
from crawler.errors import RulesError


@dataclass(frozen=True)
class Rule:
    company: str
    url: str = ""
    start: str = ""  # 14-digit timestamps, inclusive
    end: str = ""
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    note: str = ""

    @cached_property
    def id(self) -> str:
        what = json.dumps([self.company, self.url, self.start, self.end, self.select, self.remove])
        return hashlib.sha256(what.encode()).hexdigest()[:10]

    @cached_property
    def _selectors(self) -> tuple[list[CSSSelector], list[CSSSelector]]:
        return [CSSSelector(s) for s in self.select], [CSSSelector(s) for s in self.remove]

    def applies(self, company: str, url: str, timestamp: str) -> bool:
        return (
            company == self.company
            and url.startswith(self.url)
            and (not self.start or timestamp >= self.start)
            and (not self.end or timestamp <= self.end)
        )

    def selected(self, root: etree._Element) -> list:
        return [el for sel in self._selectors[0] for el in sel(root)]

    def removed(self, root: etree._Element) -> list:
        return [el for sel in self._selectors[1] for el in sel(root)]


@dataclass(frozen=True)
class SkipRule:
    """Captures of ``company`` (under ``url``, inside the window) where a selector or a text matches
    are not the policy. ``number`` is its place among the file's [[skip]] tables (for messages)."""

    company: str
    url: str = ""
    start: str = ""
    end: str = ""
    select: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    note: str = ""
    number: int = 0

    @cached_property
    def id(self) -> str:
        what = json.dumps(["skip", self.company, self.url, self.start, self.end, self.select, self.text])
        return "skip-" + hashlib.sha256(what.encode()).hexdigest()[:10]

    @cached_property
    def selectors(self) -> list[CSSSelector]:
        return [CSSSelector(s) for s in self.select]

    def applies(self, company: str, url: str, timestamp: str) -> bool:
        return (
            company == self.company
            and url.startswith(self.url)
            and (not self.start or timestamp >= self.start)
            and (not self.end or timestamp <= self.end)
        )

    @property
    def label(self) -> str:
        """How messages name the rule: its place in the file and its note."""
        return f"skip rule {self.number}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...] = ()
    skips: tuple[SkipRule, ...] = ()

    def for_capture(self, company: str, url: str, timestamp: str) -> Rule | None:
        """The rule in force for a capture: the one with the longest URL prefix, then the latest start."""
        matching = [r for r in self.rules if r.applies(company, url, timestamp)]
        return max(matching, key=lambda r: (len(r.url), r.start), default=None)

    def extractor_id(self, base: str, rule: Rule | None) -> str:
        return f"{base}+{rule.id}" if rule else base

    def skips_for(self, company: str, url: str, timestamp: str) -> list[SkipRule]:
        """The skip rules in force for a capture, in file order."""
        return [s for s in self.skips if s.applies(company, url, timestamp)]

    def __bool__(self) -> bool:
        return bool(self.rules or self.skips)


def _ts(value, field: str, where: str, end: bool) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime(TS_FORMAT)
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d") + ("235959" if end else "000000")
    text = str(value).replace("-", "").replace(":", "").replace("T", "").replace(" ", "")
    if not text.isdigit() or not 4 <= len(text) <= 14:
        raise RulesError(f"{where}: {field} = {value!r} is not a date or a YYYYMMDDhhmmss timestamp")
    return text.ljust(14, "9" if end else "0")


def load_rules(path: str | Path | None) -> Rules:
    """Read and check a rules file; ``None`` means no rules. Errors name the rule and the field."""
    if not path:
        return Rules()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulesError(f"rules file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"rules file {path} is not valid TOML: {exc}") from None
    unknown_tables = set(data) - {"rule", "skip"}
    if unknown_tables:
        raise RulesError(
            f"rules file {path}: unknown table(s) {', '.join(sorted(unknown_tables))} (use [[rule]] or [[skip]])"
        )
    rules = []
    for n, entry in enumerate(data.get("rule", []), 1):
        where = f"{path}, rule {n}"
        unknown = set(entry) - {"company", "url", "from", "until", "select", "remove", "note"}
        if unknown:
            raise RulesError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if not entry.get("company"):
            raise RulesError(f"{where}: company is required")
        select = entry.get("select", [])
        remove = entry.get("remove", [])
        select = [select] if isinstance(select, str) else list(select)
        remove = [remove] if isinstance(remove, str) else list(remove)
        if not select and not remove:
            raise RulesError(f"{where}: give select, remove or both")
        for css in select + remove:
            try:
                CSSSelector(css)
            except SelectorError as exc:
                raise RulesError(f"{where}: {css!r} is not a CSS selector ({exc})") from None
        rule = Rule(
            company=entry["company"],
            url=entry.get("url", ""),
            start=_ts(entry.get("from"), "from", where, end=False),
            end=_ts(entry.get("until"), "until", where, end=True),
            select=tuple(select),
            remove=tuple(remove),
            note=entry.get("note", ""),
        )
        if rule.start and rule.end and rule.start > rule.end:
            raise RulesError(f"{where}: from is after until")
        rules.append(rule)
    return Rules(tuple(rules), tuple(_skip_rules(data.get("skip", []), path)))


def _strings(entry: dict, field: str, where: str) -> list[str]:
    value = entry.get(field, [])
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RulesError(f"{where}: {field} must be a string or a list of non-empty strings")
    return list(value)


def _skip_rules(entries: list, path: Path) -> list[SkipRule]:
    skips = []
    for n, entry in enumerate(entries, 1):
        where = f"{path}, skip rule {n}"
        unknown = set(entry) - {"company", "url", "from", "until", "select", "text", "note"}
        if unknown:
            raise RulesError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if not entry.get("company"):
            raise RulesError(f"{where}: company is required")
        select, text = _strings(entry, "select", where), _strings(entry, "text", where)
        if not select and not text:
            raise RulesError(f"{where}: give select, text or both (what marks a capture that is not the policy)")
        for css in select:
            try:
                CSSSelector(css)
            except SelectorError as exc:
                raise RulesError(f"{where}: {css!r} is not a CSS selector ({exc})") from None
        skip = SkipRule(
            company=entry["company"],
            url=entry.get("url", ""),
            start=_ts(entry.get("from"), "from", where, end=False),
            end=_ts(entry.get("until"), "until", where, end=True),
            select=tuple(select),
            text=tuple(text),
            note=entry.get("note", ""),
            number=n,
        )
        if skip.start and skip.end and skip.start > skip.end:
            raise RulesError(f"{where}: from is after until")
        skips.append(skip)
    return skips
