"""``policytrail export``: versions, changes and clause changes for other tools.

Formats: ``csv`` and ``jsonl`` (a directory with versions, changes and clause_changes files,
columns documented in docs/exports.md), ``markdown`` (one report per company), ``atom``
(a feed of changes with stable entry ids) and ``warc`` (the stored raw snapshots, for
archivists: readable by warcio, replayable by pywb).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive import ts_to_iso
from crawler.errors import UsageError
from crawler.outputs.destinations import Output
from crawler.outputs.history import DocumentRecord
from crawler.store.store import Store

FORMATS = ("csv", "jsonl", "markdown", "atom", "warc")
VERSION_COLUMNS = [
    "company",
    "document",
    "version_text_hash",
    "in_force_from",
    "in_force_to",
    "last_seen",
    "capture_count",
    "first_url",
    "extractor",
    "joined_changes",
]
CHANGE_COLUMNS = [
    "change_id",
    "company",
    "document",
    "window_start",
    "window_end",
    "from_text_hash",
    "to_text_hash",
    "added",
    "removed",
    "modified",
    "moved",
    "split",
    "merged",
    "substantive",
    "cosmetic",
    "tags",
    "fallback",
    "extractor",
    "old_capture_url",
    "old_capture_timestamp",
    "old_snapshot_sha256",
    "new_capture_url",
    "new_capture_timestamp",
    "new_snapshot_sha256",
    "review_state",
    "judgement",
    "judged_by",
    "judged_at",
    "judgement_note",
    "judgement_topics",
    "significance",
    "in_timeline",
]
CLAUSE_COLUMNS = [
    "change_id",
    "position",
    "kind",
    "significance",
    "tags",
    "section",
    "old_text",
    "new_text",
    "word_diff",
]

_TEMPLATES = Path(__file__).with_name("templates")
_XML = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(default=True))
_TEXT = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=False)


def md_escape(text: str) -> str:
    """Archived text is untrusted: neutralise HTML and Markdown link/image syntax in Markdown output."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("[", "\\[").replace("]", "\\]").replace("`", "\\`")


_TEXT.filters["md"] = md_escape


def tables(docs: list[DocumentRecord]) -> dict[str, list[dict]]:
    versions, changes, clauses = [], [], []
    for doc in docs:
        for i, s in enumerate(doc.spans):
            nxt = doc.spans[i + 1].start_ts if i + 1 < len(doc.spans) else None
            versions.append(
                dict(
                    zip(
                        VERSION_COLUMNS,
                        (
                            doc.company,
                            doc.document,
                            s.text_hash,
                            s.start_ts,
                            nxt,
                            s.end_ts,
                            None,
                            s.first_url,
                            s.extractor,
                            json.dumps(list(s.joined_changes)),
                        ),
                    )
                )
            )
        for c in doc.changes:
            changes.append(
                dict(
                    zip(
                        CHANGE_COLUMNS,
                        (
                            c.id,
                            c.company,
                            c.document,
                            c.window_start,
                            c.window_end,
                            c.from_hash,
                            c.to_hash,
                            *c.counts.values(),
                            c.substantive,
                            c.cosmetic,
                            json.dumps(c.tags),
                            c.fallback,
                            c.extractor,
                            c.old.url,
                            c.old.timestamp,
                            c.old.sha256,
                            c.new.url,
                            c.new.timestamp,
                            c.new.sha256,
                            c.review_state,
                            c.judgement,
                            c.judged_by,
                            c.judged_at,
                            c.judgement_note,
                            json.dumps(c.judgement_topics),
                            c.significance,
                            int(c.in_timeline),
                        ),
                    )
                )
            )
            for i, cl in enumerate(c.clauses):
                values = (
                    c.id,
                    i,
                    cl["kind"],
                    cl["significance"],
                    json.dumps(cl["tags"]),
                    cl["section"],
                    cl["old_text"],
                    cl["new_text"],
                    json.dumps(cl["word_diff"], ensure_ascii=False),
                )
                clauses.append(dict(zip(CLAUSE_COLUMNS, values)))
    return {"versions": versions, "changes": changes, "clause_changes": clauses}


def write_tabular(docs: list[DocumentRecord], out: Output, fmt: str, store: Store) -> list[Path]:
    data = tables(docs)
    counts = {}
    for doc in docs:  # capture counts per span, from the timeline
        for s, n in zip(doc.spans, _span_counts(store, doc)):
            counts[(doc.company, doc.document, s.start_ts)] = n
    for row in data["versions"]:
        row["capture_count"] = counts.get((row["company"], row["document"], row["in_force_from"]))
    written = []
    for name, rows in data.items():
        path = out.file(f"{name}.{fmt}")
        columns = {"versions": VERSION_COLUMNS, "changes": CHANGE_COLUMNS, "clause_changes": CLAUSE_COLUMNS}[name]
        with out.open(path, "w", newline="", encoding="utf-8") as fh:
            if fmt == "csv":
                writer = csv.DictWriter(fh, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
            else:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def _span_counts(store: Store, doc: DocumentRecord) -> list[int]:
    return [
        r[0]
        for r in store.query(
            "SELECT s.capture_count FROM judged_spans s JOIN documents d ON d.id = s.document_id"
            " WHERE d.company = ? AND d.name = ? ORDER BY s.position",
            (doc.company, doc.document),
        )
    ]


def write_markdown(docs: list[DocumentRecord], out: Output, generated: str) -> list[Path]:
    template = _TEXT.get_template("company.md")
    written = []
    for doc in docs:
        text = template.render(doc=doc, generated=generated, iso=ts_to_iso)
        written.append(out.write_text(out.file(f"{doc.slug}.md"), text))
    return written


# an absolute IRI (RFC 3987), as Atom requires of atom:id: a scheme, then no space, control or delimiter
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f<>\"{}|\\^`]+")


def check_feed_id(feed_id: str) -> str:
    """``feed_id`` if it is an absolute IRI; else a ``UsageError`` (the feed would be invalid Atom)."""
    if not _IRI.fullmatch(feed_id):
        raise UsageError(
            f"--feed-id {feed_id!r} is not an absolute IRI, which Atom requires of a feed id: "
            f"use e.g. tag:example.org,2026:policy-changes or a URL of yours"
        )
    return feed_id


def write_atom(docs: list[DocumentRecord], out: Output, generated: str, feed_id: str) -> list[Path]:
    check_feed_id(feed_id)
    changes = sorted((c for d in docs for c in d.changes), key=lambda c: (c.window_end, c.id), reverse=True)
    feed = _XML.get_template("feed.atom").render(changes=changes, generated=generated, feed_id=feed_id, iso=ts_to_iso)
    return [out.write_text(out.path, feed)]


def write_warc(store: Store, docs: list[DocumentRecord], out: Output) -> list[Path]:
    """Each stored snapshot once, as a WARC response record dated by the capture it was fetched for."""
    companies = {d.company for d in docs}
    rows = store.query(
        """SELECT s.body, s.codec, s.status, s.headers, c.url, c.timestamp, d.company
           FROM snapshots s
           JOIN captures c ON c.id = (SELECT min(c2.id) FROM captures c2 WHERE c2.digest = s.digest
                                      AND c2.state IN ('fetched', 'skipped', 'duplicate'))
           JOIN targets t ON t.id = c.target_id JOIN documents d ON d.id = t.document_id
           ORDER BY c.timestamp, c.url"""
    )
    with out.open(out.path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for body, codec, status, headers, url, ts, company in rows:
            if company not in companies:
                continue
            if codec == "zlib":
                body = zlib.decompress(body)
            http_headers = [
                (k, v)
                for k, vs in json.loads(headers).items()
                for v in (vs if isinstance(vs, list) else [vs])
                if k.lower()
                not in ("content-length", "transfer-encoding", "content-encoding", "memento-datetime", "link")
            ]
            http_headers.append(("Content-Length", str(len(body))))
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=StatusAndHeaders(f"{status} Archived", http_headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": ts_to_iso(ts)},
            )
            writer.write_record(record)
    return [out.path]
