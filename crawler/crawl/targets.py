"""Load and validate the targets file (``company,url[,document,...]``).

A bad row never half-loads: every problem is collected with its line number and the whole
file is refused, so nothing is crawled until it is valid.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from crawler.errors import TargetsError, UnknownCompany

REQUIRED_COLUMNS = ("company", "url")
DEFAULT_DOCUMENT = "privacy policy"


@dataclass(frozen=True)
class Target:
    """One policy URL of one company's document; rows sharing company+document form one timeline."""

    company: str
    url: str
    document: str = DEFAULT_DOCUMENT
    line: int = 0


def _check_url(url: str) -> str | None:
    if not url:
        return "missing url"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"url {url!r} is not an http(s) URL"
    if not parts.hostname or "." not in parts.hostname.strip("."):
        return f"url {url!r} has no valid host name"
    try:
        parts.port  # noqa: B018 -- urlsplit checks the port only when asked
    except ValueError:
        return f"url {url!r} has an invalid port"
    if any(ch.isspace() for ch in url):
        return f"url {url!r} contains whitespace"
    return None


def _cell(row: list[str], col: dict[str, int], name: str) -> str:
    i = col.get(name)
    return row[i].strip() if i is not None and i < len(row) else ""


def _control_character(text: str) -> str | None:
    """The first control character (C0, DEL, C1: NUL, escapes, line breaks) in ``text``, as ``U+0000``."""
    for ch in text:
        if unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None


def page_key(url: str) -> tuple[str, int | None, str, str]:
    """Which page a URL names, for spotting the same one written twice: the archive lists http and https
    captures of a page together, host names and schemes have no case, and ``/privacy/`` is ``/privacy``."""
    parts = urlsplit(url)
    port = parts.port if parts.port not in (80, 443) else None
    return (parts.hostname or "", port, parts.path.rstrip("/"), parts.query)


def parse_targets(text: str, source: str = "<targets>") -> list[Target]:
    """Parse CSV text into targets, or raise ``TargetsError`` listing every bad line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    problems: list[str] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise TargetsError(source, ["the file is empty; expected a header line 'company,url'"]) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise TargetsError(
            source,
            [f"line 1: header must name the columns {', '.join(REQUIRED_COLUMNS)} (missing: {', '.join(missing)})"],
        )
    col = {name: i for i, name in enumerate(header)}
    targets: list[Target] = []
    seen: dict[tuple, tuple[str, int]] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if row[0].lstrip().startswith("#"):
            continue

        company, url = _cell(row, col, "company"), _cell(row, col, "url")
        document = _cell(row, col, "document") or DEFAULT_DOCUMENT
        controls = [(name, _control_character(value)) for name, value in (("company", company), ("url", url))]
        controls.append(("document", _control_character(document)))
        controls = [(name, ch) for name, ch in controls if ch]
        if controls:  # a NUL or an escape would reach CDX requests, the database and the reports
            problems += [f"line {line}: control character {ch} in {name}" for name, ch in controls]
            continue
        if not company:
            problems.append(f"line {line}: missing company")
        bad = _check_url(url)
        if bad:
            problems.append(f"line {line}: {bad}")
        elif page_key(url) in seen:
            first, first_line = seen[page_key(url)]
            same = "first" if first == url else f"the same page as {first}"
            problems.append(f"line {line}: duplicate url {url} ({same} on line {first_line})")
        else:
            seen[page_key(url)] = (url, line)
        if company and not bad:
            targets.append(Target(company=company, url=url, document=document, line=line))
    if problems:
        raise TargetsError(source, problems)
    if not targets:
        raise TargetsError(source, ["no targets: add at least one 'company,url' row"])
    return targets


def load_targets(path: str | Path, companies: tuple[str, ...] | list[str] = ()) -> list[Target]:
    """Read and validate a targets file; keep only ``companies`` when given (case-insensitive)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TargetsError(str(path), ["file not found; pass --targets PATH or create data/targets.csv"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TargetsError(str(path), [f"line {line}: not valid UTF-8 (byte {exc.start})"]) from None
    targets = parse_targets(text, str(path))
    if companies:
        UnknownCompany.check(companies, [t.company for t in targets], str(path))
        wanted = {c.casefold() for c in companies}
        return [t for t in targets if t.company.casefold() in wanted]
    return targets
