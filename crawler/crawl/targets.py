"""Load and validate the targets file (``company,url[,document,valid_from,valid_to]``).

A bad row never half-loads: every problem is collected with its line number and the whole
file is refused, so nothing is crawled until it is valid. ``valid_from``/``valid_to`` (any time of
the one time parser; ``valid_to`` means the end of the period written) bound the captures of a URL
that belong to the document: a URL that carried the policy for some years and something else later
is listed only inside its window. The same URL may appear on several rows of one document with
windows that do not overlap (a policy that moved away and back).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from crawler.archive.timestamps import parse_time
from crawler.errors import TargetsError, UnknownCompany, UsageError

REQUIRED_COLUMNS = ("company", "url")
COLUMNS = ("company", "url", "document", "valid_from", "valid_to")
DEFAULT_DOCUMENT = "privacy policy"


@dataclass(frozen=True)
class Target:
    """One policy URL of one company's document; rows sharing company+document form one timeline."""

    company: str
    url: str
    document: str = DEFAULT_DOCUMENT
    line: int = 0
    valid_from: str | None = None  # 14 digits, UTC: captures before it are not this document's
    valid_to: str | None = None  # 14 digits, UTC, included

    def in_window(self, timestamp: str) -> bool:
        """True for a capture time (14 digits) inside this row's validity window."""
        return (self.valid_from is None or timestamp >= self.valid_from) and (
            self.valid_to is None or timestamp <= self.valid_to
        )


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


def _window_cells(valid_from: str, valid_to: str) -> tuple[str | None, str | None]:
    return (
        parse_time(valid_from) if valid_from else None,
        parse_time(valid_to, upper=True) if valid_to else None,
    )


def _window(valid_from: str, valid_to: str) -> tuple[tuple[str, str] | None, str | None]:
    """A row's validity window as (from, to) (open ends widened), or why its cells are not times."""
    try:
        start, end = _window_cells(valid_from, valid_to)
    except UsageError as exc:
        return None, f"valid_from/valid_to: {exc}"
    if start and end and start > end:
        return None, f"valid_from {valid_from} is after valid_to {valid_to}"
    if not (start or end):
        return None, None
    return (start or "00000000000000", end or "99999999999999"), None


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
    seen: dict[tuple, list[tuple]] = {}
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
        window, why = _window(_cell(row, col, "valid_from"), _cell(row, col, "valid_to"))
        if why:
            problems.append(f"line {line}: {why}")
        bad = _check_url(url)
        if bad:
            problems.append(f"line {line}: {bad}")
        else:
            for first, first_line, first_window, first_doc in seen.get(page_key(url), []):
                if why or first_window is None or window is None or (company, document) != first_doc:
                    apart = False
                else:
                    apart = window[1] < first_window[0] or first_window[1] < window[0]
                if not apart:
                    same = "first" if first == url else f"the same page as {first}"
                    overlap = " with an overlapping validity window" if window and first_window else ""
                    problems.append(f"line {line}: duplicate url {url}{overlap} ({same} on line {first_line})")
                    break
            seen.setdefault(page_key(url), []).append((url, line, window, (company, document)))
        if company and not bad and not why:
            valid_from, valid_to = _window_cells(_cell(row, col, "valid_from"), _cell(row, col, "valid_to"))
            targets.append(
                Target(company=company, url=url, document=document, line=line, valid_from=valid_from, valid_to=valid_to)
            )
    if problems:
        raise TargetsError(source, problems)
    if not targets:
        raise TargetsError(source, ["no targets: add at least one 'company,url' row"])
    return targets


MAX_TARGETS_BYTES = 64 << 20  # 64 MiB: about half a million rows


def load_targets(path: str | Path, companies: tuple[str, ...] | list[str] = ()) -> list[Target]:
    """Read and validate a targets file; keep only ``companies`` when given (case-insensitive)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_TARGETS_BYTES + 1)  # a device or a pipe that never ends is not read for ever
    except FileNotFoundError:
        raise TargetsError(str(path), ["file not found; pass --targets PATH or create data/targets.csv"]) from None
    except OSError as exc:  # a folder, no permission
        raise TargetsError(str(path), [exc.strerror or str(exc)]) from None
    if len(raw) > MAX_TARGETS_BYTES:
        raise TargetsError(
            str(path), [f"larger than {MAX_TARGETS_BYTES >> 20} MiB: not a targets file (CSV rows of company, URL)"]
        )
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


def append_rows(path: str | Path, rows: list[dict]) -> tuple[int, int]:
    """Append targets rows (dicts of ``COLUMNS``) to the targets file at ``path``, created when missing.

    A row already in the file (same company, document, URL and window) is not added twice. Missing
    columns are added to the header line (earlier rows leave them empty); the file is checked as a whole
    before it replaces the old one, so a bad result never lands (``TargetsError``, exit 2).
    Returns (added, already there).
    """
    path = Path(path)
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise TargetsError(str(path), [f"not valid UTF-8 (byte {exc.start})"]) from None
        except OSError as exc:
            raise TargetsError(str(path), [exc.strerror or str(exc)]) from None
    else:
        text = ""
    lines = text.splitlines(keepends=True)
    if not lines or not lines[0].strip():
        lines = [",".join(COLUMNS) + "\n"]
    header = next(csv.reader([lines[0].lstrip("\ufeff")]))
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        lines[0] = lines[0].rstrip("\r\n") + "," + ",".join(missing) + "\n"
        names += missing
    existing = parse_targets("".join(lines), str(path)) if len(lines) > 1 else []
    have = {(t.company, t.document, page_key(t.url), t.valid_from, t.valid_to) for t in existing}
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    added = kept = 0
    for row in rows:
        start, end = _window_cells(row.get("valid_from") or "", row.get("valid_to") or "")
        key = (row["company"], row.get("document") or DEFAULT_DOCUMENT, page_key(row["url"]), start, end)
        if key in have:
            kept += 1
            continue
        have.add(key)
        writer.writerow([row.get(name, "") or "" for name in names])
        added += 1
    new_text = "".join(lines) + out.getvalue()
    parse_targets(new_text, str(path))  # the whole file, before anything is written
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(new_text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TargetsError(str(path), [f"cannot write: {exc.strerror or exc}"]) from None
    return added, kept
