"""``policytrail annotate`` and ``policytrail annotations``: researchers' judgements in and out.

A judgement names its subject by a content-derived identity (``crawler.derive.judgements``),
so that it applies again after ``reextract``, an extractor upgrade or a re-crawl into a new
database. Here: finding the capture or change a person means, checking what they typed (bad
input is a ``UsageError``, exit 2), reading and writing the JSON Lines files a team shares, and
deriving the companies concerned so that a judgement shows at once.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from crawler.archive import ts_to_iso
from crawler.derive import DeriveReport, derive
from crawler.derive.changes import change_key
from crawler.derive.judgements import CAPTURE_VERDICTS, CHANGE_VERDICTS
from crawler.diff import load_taxonomy
from crawler.errors import UnknownCompany, UsageError
from crawler.extract import Rules
from crawler.outputs.history import document_slugs
from crawler.outputs.inspect import find_capture
from crawler.store import Store
from crawler.store.store import ANNOTATION_FIELDS

STATUSES = ("applied", "superseded", "orphaned")
_HASH = re.compile(r"[0-9a-f]{64}")
_TOPIC = re.compile(r"[a-z0-9][a-z0-9_-]*")


class JudgementError(UsageError):
    """A judgement that cannot be recorded: no such capture or change, or a bad import file."""


def default_author() -> str:
    """Who judges: ``$POLICYTRAIL_AUTHOR``, else the login name."""
    return os.environ.get("POLICYTRAIL_AUTHOR") or getpass.getuser()


def judged_now() -> str:
    """The time of a judgement: ISO 8601, UTC, to the microsecond (two judgements of one subject
    by one person never share it, so the later one is in force)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _author(author: str) -> str:
    author = (author or "").strip()
    if not author or any(ord(ch) < 32 for ch in author):
        raise JudgementError("--author must be a name (non-empty, one line)")
    return author


def _known_companies(store: Store) -> list[str]:
    return [r[0] for r in store.query("SELECT DISTINCT company FROM documents")]


# --------------------------------------------------------------------------- captures


def capture_judgement(
    store: Store, company: str, when: str, verdict: str, note: str, author: str, url: str | None = None
) -> dict:
    """The judgement on the company's capture at ``when`` (an archive timestamp or ISO time; a
    shorter one must name exactly one capture), ready for ``Store.add_annotations``."""
    _, archive, curl, ts, digest, state, statuscode, document, body_status = find_capture(
        store, company, when, url, JudgementError
    )
    if verdict not in CAPTURE_VERDICTS:
        raise JudgementError(f"a capture is judged {' or '.join(CAPTURE_VERDICTS)}, not {verdict!r}")
    return {
        "kind": "capture",
        "company": _canonical(store, company),
        "document": document,
        "archive": archive,
        "url": curl,
        "timestamp": ts,
        "digest": digest,
        "verdict": verdict,
        "topics": "[]",
        "note": note.strip(),
        "author": _author(author),
        "at": judged_now(),
    }


def _canonical(store: Store, company: str) -> str:
    """The company's name as the database spells it (``--company`` matches case-insensitively)."""
    return next(c for c in _known_companies(store) if c.casefold() == company.casefold())


# --------------------------------------------------------------------------- changes


def find_change(store: Store, change_id: str) -> tuple:
    """The change a person names: ``policy_changes.change_id`` (a number), or the id the report,
    the exports and the Atom feed give it (``<document slug>-<change key>``). A ``Store.
    change_heads_for_review`` row."""
    text = change_id.strip()
    if text.isdigit():
        rows = store.change_heads_for_review(change_id=int(text))
        if rows:
            return rows[0]
    else:
        for doc_id, (_, _, slug) in document_slugs(store).items():
            if text.startswith(slug + "-"):
                key = text[len(slug) + 1 :]
                for row in store.change_heads_for_review():
                    if row[3] == doc_id and row[5] == key:
                        return row
    raise JudgementError(
        f"no change {change_id!r} in {store.path}: name one by its number (policy_changes.change_id) or by the id "
        f"the report and exports give it (<document slug>-<change key>, e.g. acme-3f2a9c1b0d4e-77aa01bc92de)"
    )


def check_topics(topics) -> list[str]:
    """Topic ids of the bundled taxonomy (``crawler/diff/taxonomy.toml``), each once, in order."""
    known = [t.id for t in load_taxonomy().topics]
    unknown = [t for t in topics if t not in known]
    if unknown:
        raise JudgementError(f"unknown topic(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return list(dict.fromkeys(topics))


def change_judgement(row: tuple, verdict: str, topics: list[str], note: str, author: str) -> dict:
    """The judgement on the change of a ``Store.change_heads_for_review`` row."""
    if verdict not in CHANGE_VERDICTS:
        raise JudgementError(f"a change is judged {', '.join(CHANGE_VERDICTS)}, not {verdict!r}")
    return {
        "kind": "change",
        "company": row[1],
        "document": row[2],
        "change_key": row[5],
        "from_hash": row[8],
        "to_hash": row[9],
        "verdict": verdict,
        "topics": json.dumps(list(topics)),
        "note": note.strip(),
        "author": _author(author),
        "at": judged_now(),
    }


# --------------------------------------------------------------------------- the shared file (JSON Lines)


def export_row(item: dict) -> dict:
    """One judgement as a line of the shared file: every field, topics as a list, and its status here."""
    out = {f: item.get(f) for f in ANNOTATION_FIELDS}
    out["topics"] = json.loads(item.get("topics") or "[]")
    out["status"] = item.get("status")
    return out


def _check_line(data, n: int) -> dict:
    where = f"line {n}"
    if not isinstance(data, dict):
        raise JudgementError(f"{where}: a judgement is a JSON object")
    kind = data.get("kind")
    if kind not in ("capture", "change"):
        raise JudgementError(f"{where}: kind must be 'capture' or 'change', not {kind!r}")
    need = ["company", "document", "verdict", "author", "at"]
    need += ["archive", "url", "timestamp", "digest"] if kind == "capture" else ["change_key", "from_hash", "to_hash"]
    missing = [f for f in need if not isinstance(data.get(f), str) or not data[f].strip()]
    if missing:
        raise JudgementError(f"{where}: missing or empty {', '.join(missing)}")
    verdicts = CAPTURE_VERDICTS if kind == "capture" else CHANGE_VERDICTS
    if data["verdict"] not in verdicts:
        raise JudgementError(f"{where}: a {kind} is judged {', '.join(verdicts)}, not {data['verdict']!r}")
    row = {f: data.get(f) for f in need}
    row["kind"] = kind
    try:
        datetime.fromisoformat(data["at"].replace("Z", "+00:00"))
    except ValueError:
        raise JudgementError(f"{where}: at = {data['at']!r} is not an ISO 8601 time") from None
    if kind == "capture":
        if not re.fullmatch(r"[0-9]{14}", data["timestamp"]):
            raise JudgementError(f"{where}: timestamp = {data['timestamp']!r} is not a 14-digit archive timestamp")
        try:
            ts_to_iso(data["timestamp"])
        except ValueError:
            raise JudgementError(f"{where}: timestamp = {data['timestamp']!r} is no real time") from None
        row["topics"] = "[]"
    else:
        for field in ("from_hash", "to_hash"):
            if not _HASH.fullmatch(data[field]):
                raise JudgementError(f"{where}: {field} is not a SHA-256 text hash (64 hex digits)")
        expected = change_key(data["from_hash"], data["to_hash"], 1)
        key = data["change_key"]
        occurrence = key[len(expected) + 1 :] if key.startswith(expected + "-") else ""
        if key != expected and not (occurrence.isdigit() and int(occurrence) > 1):
            raise JudgementError(f"{where}: change_key {key!r} is not the key of {expected}… (the two hashes)")
        topics = data.get("topics") or []
        if not isinstance(topics, list) or not all(isinstance(t, str) and _TOPIC.fullmatch(t) for t in topics):
            raise JudgementError(f"{where}: topics must be a list of topic ids (lower-case words)")
        row["topics"] = json.dumps(list(dict.fromkeys(topics)))
    note = data.get("note") or ""
    if not isinstance(note, str):
        raise JudgementError(f"{where}: note must be text")
    row["note"] = note
    return row


def read_judgements(path: str | Path) -> list[dict]:
    """Every judgement of a JSON Lines file (``policytrail annotations --format jsonl``), checked
    whole before anything is stored: a bad line is an error naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JudgementError(f"no file {path} to import") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JudgementError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise JudgementError(f"{path}, line {n}: not JSON ({exc.msg})") from None
        try:
            rows.append(_check_line(data, n))
        except JudgementError as exc:
            raise JudgementError(f"{path}, {exc}") from None
    return rows


# --------------------------------------------------------------------------- listing


def listing(store: Store, companies: tuple[str, ...] = (), status: str | None = None) -> list[dict]:
    """Every judgement (of these companies, with this status), oldest first, as export rows."""
    if companies:
        UnknownCompany.check(
            companies, _known_companies(store) + [a["company"] for a in store.annotations()], str(store.path)
        )
    rows = [export_row(a) for a in store.annotations(companies)]
    return [r for r in rows if status is None or r["status"] == status]


def summary(rows: list[dict]) -> list[dict]:
    """The columns a terminal table shows (the other formats carry every field)."""
    out = []
    for r in rows:
        subject = f"{r['timestamp']} {r['url']}" if r["kind"] == "capture" else r["change_key"]
        out.append(
            {
                "kind": r["kind"],
                "company": r["company"],
                "subject": subject,
                "verdict": r["verdict"],
                "topics": ", ".join(r["topics"]),
                "author": r["author"],
                "at": r["at"][:19] + "Z",
                "status": r["status"],
                "note": r["note"],
            }
        )
    return out


# --------------------------------------------------------------------------- applying


def apply(store: Store, companies: list[str], rules: Rules) -> DeriveReport:
    """Derive the companies' documents again, so that their judgements show at once."""
    return derive(store, sorted(set(companies)), rules)


def orphaned(store: Store) -> int:
    return sum(1 for a in store.annotations() if a["status"] == "orphaned")
