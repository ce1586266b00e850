"""Read a document's timeline: which version was in force when, and any two versions to compare."""

from __future__ import annotations

from dataclasses import dataclass

from .archive import parse_time
from .errors import UsageError
from .storage import Store


@dataclass(frozen=True)
class InForce:
    """A version as it stood on the timeline: in force from its span's first capture."""

    version_id: int
    text_hash: str
    start_ts: str
    end_ts: str
    first_url: str
    extractor: str


@dataclass(frozen=True)
class Pair:
    company: str
    document: str
    old: InForce
    new: InForce


def _document(store: Store, company: str, document: str | None) -> tuple[int, str, str]:
    rows = store.query(
        "SELECT id, company, name FROM documents WHERE company = ? COLLATE NOCASE"
        + (" AND name = ?" if document else "")
        + " ORDER BY name",
        (company, document) if document else (company,),
    )
    if not rows:
        known = ", ".join(r[0] for r in store.query("SELECT DISTINCT company FROM documents ORDER BY 1")[:20])
        raise UsageError(
            f"no company {company!r}{' with document ' + repr(document) if document else ''} "
            f"in {store.path}" + (f"; known: {known}" if known else "; crawl first")
        )
    if len(rows) > 1:
        raise UsageError(f"{company} has several documents ({', '.join(r[2] for r in rows)}): pass --document")
    return rows[0]


def timeline(store: Store, document_id: int) -> list[InForce]:
    return [
        InForce(*row)
        for row in store.query(
            "SELECT s.version_id, v.text_hash, s.start_ts, s.end_ts, c.url, v.extractor FROM spans s"
            " JOIN versions v ON v.id = s.version_id JOIN captures c ON c.id = s.first_capture_id"
            " WHERE s.document_id = ? ORDER BY s.position",
            (document_id,),
        )
    ]


def _at(spans: list[InForce], ts: str, label: str) -> int:
    """Index of the span in force at ``ts``: the last one that started at or before it."""
    index = [i for i, s in enumerate(spans) if s.start_ts <= ts]
    if not index:
        raise UsageError(f"{label} {ts} is before the first known version (in force from {spans[0].start_ts})")
    return index[-1]


def pair_to_compare(
    store: Store, company: str, from_ts: str | None = None, to_ts: str | None = None, document: str | None = None
) -> Pair | None:
    """The versions in force at ``from_ts`` and ``to_ts``; by default the latest change. None if only one."""
    doc_id, company_name, doc_name = _document(store, company, document)
    spans = timeline(store, doc_id)
    if not spans:
        raise UsageError(
            f"{company_name} has no policy version yet: crawl it first (policytrail crawl --company {company_name!r})"
        )
    new_i = _at(spans, parse_time(to_ts, upper=True), "--to") if to_ts else len(spans) - 1
    if from_ts:
        old_i = _at(spans, parse_time(from_ts, upper=True), "--from")
    else:
        old_i = max(new_i - 1, 0)
    if old_i == new_i and not from_ts and len(spans) == 1:
        return None
    return Pair(company_name, doc_name, spans[old_i], spans[new_i])
