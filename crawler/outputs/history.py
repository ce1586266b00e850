"""Read a document's timeline: which version was in force when, and any two versions to compare."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from crawler.archive import archive_key_parts, parse_time
from crawler.errors import UnknownCompany, UsageError
from crawler.store.store import Store


@dataclass(frozen=True)
class InForce:
    """A version as it stood on the timeline: in force from its span's first capture."""

    version_id: int
    text_hash: str
    start_ts: str
    end_ts: str
    first_url: str
    extractor: str
    stated_date: str | None = None  # the date the policy states for itself (ISO), if any
    stated_date_text: str | None = None
    joined_changes: tuple[str, ...] = ()  # keys of the changes judged false inside this span


@dataclass(frozen=True)
class Pair:
    company: str
    document: str
    old: InForce
    new: InForce


_COMPANIES = "SELECT DISTINCT company FROM documents"
_DOCUMENTS = "SELECT name FROM documents WHERE company = ? COLLATE NOCASE ORDER BY name"


def check_companies(store: Store, companies) -> None:
    """Exit 2 naming the known companies unless the database has every one of ``companies``."""
    if companies:
        UnknownCompany.check(companies, [r[0] for r in store.query(_COMPANIES)], str(store.path))


def _document(store: Store, company: str, document: str | None) -> tuple[int, str, str]:
    rows = store.query(
        "SELECT id, company, name FROM documents WHERE company = ? COLLATE NOCASE"
        + (" AND name = ?" if document else "")
        + " ORDER BY name",
        (company, document) if document else (company,),
    )
    if not rows:
        check_companies(store, [company])
        names = ", ".join(repr(r[0]) for r in store.query(_DOCUMENTS, (company,)))
        raise UsageError(f"{company} has no document {document!r} in {store.path}; it has {names}")
    if len(rows) > 1:
        raise UsageError(f"{company} has several documents ({', '.join(r[2] for r in rows)}): pass --document")
    return rows[0]


def timeline(store: Store, document_id: int) -> list[InForce]:
    return [
        InForce(*row)
        for row in store.query(
            "SELECT s.version_id, v.text_hash, s.start_ts, s.end_ts, c.url, v.extractor, v.stated_date,"
            " v.stated_date_text FROM spans s"
            " JOIN versions v ON v.id = s.version_id JOIN captures c ON c.id = s.first_capture_id"
            " WHERE s.document_id = ? ORDER BY s.position",
            (document_id,),
        )
    ]


def judged_timeline(store: Store, document_id: int) -> list[InForce]:
    """The timeline as readers see it: spans joined across the changes judged false."""
    import json

    return [
        InForce(*row[:-1], joined_changes=tuple(json.loads(row[-1])))
        for row in store.query(
            "SELECT s.version_id, v.text_hash, s.start_ts, s.end_ts, c.url, v.extractor, v.stated_date,"
            " v.stated_date_text, s.joined_changes FROM judged_spans s"
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
    to_full = parse_time(to_ts, upper=True) if to_ts else None
    from_full = parse_time(from_ts, upper=True) if from_ts else None
    if from_full and to_full and from_full > to_full:  # a reversed diff would read as the opposite change
        raise UsageError(
            f"--from {from_ts} ({from_full}) is later than --to {to_ts} ({to_full}): "
            f"swap them to compare the earlier version with the later one"
        )
    new_i = _at(spans, to_full, "--to") if to_full else len(spans) - 1
    if from_full:
        old_i = _at(spans, from_full, "--from")
    else:
        old_i = max(new_i - 1, 0)
    if old_i == new_i and not from_ts and len(spans) == 1:
        return None
    return Pair(company_name, doc_name, spans[old_i], spans[new_i])


# --------------------------------------------------------------------------- for reports and exports


@dataclass
class Citation:
    """Where a change can be checked: the capture, its archive URLs, the snapshot's hash."""

    archive: str
    url: str
    timestamp: str
    sha256: str | None

    @property
    def base(self) -> str | None:
        """The archive crawled (None for one on this machine, whose address changed per run)."""
        return archive_key_parts(self.archive)[0]

    def memento(self, mode: str = "id_") -> str:
        """The capture in the archive and collection it was crawled from (``mode=""``: replay)."""
        base, collection = archive_key_parts(self.archive)
        return f"{base or ''}/{collection}/{self.timestamp}{mode}/{self.url}"


@dataclass
class ChangeRecord:
    id: str
    company: str
    document: str
    position: int
    window_start: str
    window_end: str
    from_hash: str
    to_hash: str
    counts: dict
    substantive: int
    cosmetic: int
    tags: list
    fallback: str | None
    extractor: str
    old: Citation
    new: Citation
    clauses: list[dict]
    review_state: str = "unreviewed"  # unreviewed, reviewed or overridden
    judgement: str | None = None  # accepted, false, cosmetic or substantive
    judged_by: str | None = None
    judged_at: str | None = None
    judgement_note: str | None = None
    judgement_topics: list = dataclasses.field(default_factory=list)

    @property
    def significance(self) -> str:
        """The change's significance in force: the judgement's, else the clause diff's."""
        if self.judgement in ("false", "cosmetic", "substantive"):
            return self.judgement
        return "substantive" if self.substantive else "cosmetic"

    @property
    def in_timeline(self) -> bool:
        """False when judged false: its two spans are one on the timeline."""
        return self.judgement != "false"

    @property
    def review_line(self) -> str | None:
        """How a reader is told of the judgement: ``Judged false by alice on 2026-03-01: note``."""
        if self.judgement is None:
            return None
        what = "Accepted" if self.judgement == "accepted" else f"Judged {self.judgement}"
        line = f"{what} by {self.judged_by} on {(self.judged_at or '')[:10]}"
        return line + (f": {self.judgement_note}" if self.judgement_note else "")


@dataclass
class DocumentRecord:
    company: str
    document: str
    slug: str
    spans: list[InForce]
    changes: list[ChangeRecord]
    # captures read (fetched or duplicate), inferred from the captures around them, unresolved
    captures: dict[str, int] = field(default_factory=dict)

    @property
    def review_counts(self) -> dict[str, int]:
        """How many of its changes are unreviewed, reviewed, overridden."""
        out = {"unreviewed": 0, "reviewed": 0, "overridden": 0}
        for c in self.changes:
            out[c.review_state] += 1
        return out

    @property
    def policy_changes(self) -> list[ChangeRecord]:
        """The changes on the timeline: all but those judged false."""
        return [c for c in self.changes if c.in_timeline]

    @property
    def changes_per_year(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.policy_changes:
            out[c.window_end[:4]] = out.get(c.window_end[:4], 0) + 1
        return dict(sorted(out.items()))


# File names and anchors are built from slugs: bounded well below NAME_MAX (255 bytes) with room
# for an extension and the "-x" that tells two equal slugs apart.
MAX_SLUG = 80


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens; a longer slug is cut and ends with a short hash of
    the whole text, so it stays distinct and is the same on every run and in every database."""
    import hashlib
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    if not slug:  # no Latin letter or digit ("東京電力"): named by its hash, whatever the other companies
        return f"document-{digest}"
    if len(slug) <= MAX_SLUG:
        return slug
    return f"{slug[: MAX_SLUG - len(digest) - 1].rstrip('-')}-{digest}"


def change_id(slug: str, key: str) -> str:
    """Stable across re-renders, re-derives, resumes and databases: the document and the change's
    key (its two texts' hashes and the pair's occurrence; never a capture time or a local id)."""
    return f"{slug}-{key}"


def document_slugs(store: Store) -> dict[int, tuple[str, str, str]]:
    """Each document's company, name and slug (what file names, anchors and change ids are built
    from), in company and name order; two equal slugs are told apart by ``-x``."""
    out: dict[int, tuple[str, str, str]] = {}
    slugs: set[str] = {"index", "overview"}  # the report's own pages
    for doc_id, company, name in store.query("SELECT id, company, name FROM documents ORDER BY company, name"):
        slug = slugify(company if name == "privacy policy" else f"{company} {name}")
        while slug in slugs:
            slug += "-x"
        slugs.add(slug)
        out[doc_id] = (company, name, slug)
    return out


def load_documents(
    store: Store, companies: tuple[str, ...] = (), since: str | None = None, with_clauses: bool = True
) -> list[DocumentRecord]:
    """Every document's timeline and changes, as reports and exports need them."""
    import json

    check_companies(store, companies)
    since_ts = parse_time(since) if since else None
    docs = []
    wanted = {c.casefold() for c in companies}
    for doc_id, (company, name, slug) in document_slugs(store).items():
        if wanted and company.casefold() not in wanted:
            continue
        rows = store.query(
            """SELECT ch.id, ch.position, ch.window_start, ch.window_end, fv.text_hash, tv.text_hash, ch.added,
                      ch.removed, ch.modified, ch.moved, ch.split, ch.merged, ch.substantive, ch.cosmetic, ch.tags,
                      ch.fallback, tv.extractor,
                      oc.archive, oc.url, oc.timestamp, os.sha256, nc.archive, nc.url, nc.timestamp, ns.sha256,
                      ch.key, ch.review_state, ch.judgement, ch.judged_by, ch.judged_at, ch.judgement_note,
                      ch.judgement_topics
               FROM changes ch
               JOIN versions fv ON fv.id = ch.from_version_id JOIN versions tv ON tv.id = ch.to_version_id
               JOIN captures oc ON oc.id = ch.window_start_capture_id LEFT JOIN snapshots os ON os.digest = oc.digest
               JOIN captures nc ON nc.id = ch.window_end_capture_id LEFT JOIN snapshots ns ON ns.digest = nc.digest
               WHERE ch.document_id = ? AND (? IS NULL OR ch.window_end >= ?) ORDER BY ch.position""",
            (doc_id, since_ts, since_ts),
        )
        changes = []
        for r in rows:
            clauses = []
            if with_clauses:
                clauses = [
                    {
                        "kind": k,
                        "significance": sig,
                        "tags": json.loads(tags),
                        "section": section,
                        "old_text": old,
                        "new_text": new,
                        "word_diff": json.loads(wd),
                    }
                    for k, sig, tags, section, old, new, wd in store.query(
                        "SELECT kind, significance, tags, section, old_text, new_text, word_diff FROM clause_changes"
                        " WHERE change_id = ? ORDER BY position",
                        (r[0],),
                    )
                ]
            changes.append(
                ChangeRecord(
                    id=change_id(slug, r[25]),
                    company=company,
                    document=name,
                    position=r[1],
                    window_start=r[2],
                    window_end=r[3],
                    from_hash=r[4],
                    to_hash=r[5],
                    counts=dict(zip(("added", "removed", "modified", "moved", "split", "merged"), r[6:12])),
                    substantive=r[12],
                    cosmetic=r[13],
                    tags=json.loads(r[14]),
                    fallback=r[15],
                    extractor=r[16],
                    old=Citation(*r[17:21]),
                    new=Citation(*r[21:25]),
                    clauses=clauses,
                    review_state=r[26],
                    judgement=r[27],
                    judged_by=r[28],
                    judged_at=r[29],
                    judgement_note=r[30],
                    judgement_topics=json.loads(r[31]),
                )
            )
        captures = store.document_capture_states(doc_id)
        docs.append(DocumentRecord(company, name, slug, judged_timeline(store, doc_id), changes, captures))
    return docs
