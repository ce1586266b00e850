"""Build WARC files from a captures manifest (warcio), for the demo archive, tests and benchmarks.

A manifest is a CSV file with the columns
``url,timestamp,status,content_type,body,location,revisit`` where ``body`` names a file
relative to the manifest, ``location`` is the ``Location`` of an archived redirect and
``revisit`` (``yes``) writes a ``warc/revisit`` record pointing at the earlier capture with
the same payload.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive import payload_digest, ts_to_iso


@dataclass
class CaptureSpec:
    """One capture to write: a response, or a revisit of an earlier identical payload."""

    url: str
    timestamp: str
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    location: str = ""
    revisit: bool = False
    headers: list[tuple[str, str]] = field(default_factory=list)


def read_manifest(path: str | Path) -> list[CaptureSpec]:
    """Read a captures manifest; body files are resolved relative to it."""
    path = Path(path)
    specs = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row.get("url") or row["url"].startswith("#"):
                continue
            body_name = (row.get("body") or "").strip()
            body = (path.parent / body_name).read_bytes() if body_name else b""
            specs.append(
                CaptureSpec(
                    url=row["url"].strip(),
                    timestamp=row["timestamp"].strip(),
                    status=int(row.get("status") or 200),
                    content_type=(row.get("content_type") or "text/html; charset=utf-8").strip(),
                    body=body,
                    location=(row.get("location") or "").strip(),
                    revisit=(row.get("revisit") or "").strip().lower() in ("yes", "true", "1"),
                )
            )
    return specs


def write_warc(specs: list[CaptureSpec], out: str | Path) -> Path:
    """Write ``specs`` (in timestamp order) to a gzipped WARC; revisits refer to the first same payload."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    first_seen: dict[str, tuple[str, str]] = {}
    with out.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for spec in sorted(specs, key=lambda s: s.timestamp):
            reason = HTTPStatus(spec.status).phrase if spec.status in HTTPStatus._value2member_map_ else "Status"
            headers = [("Content-Type", spec.content_type), ("Content-Length", str(len(spec.body)))]
            if spec.location:
                headers.append(("Location", spec.location))
            headers.extend(spec.headers)
            http_headers = StatusAndHeaders(f"{spec.status} {reason}", headers, protocol="HTTP/1.1")
            digest = payload_digest(spec.body)
            date = ts_to_iso(spec.timestamp)
            if spec.revisit and digest in first_seen:
                ref_uri, ref_date = first_seen[digest]
                record = writer.create_revisit_record(
                    spec.url,
                    digest="sha1:" + digest,
                    refers_to_uri=ref_uri,
                    refers_to_date=ref_date,
                    http_headers=http_headers,
                    warc_headers_dict={"WARC-Date": date},
                )
            else:
                record = writer.create_warc_record(
                    spec.url,
                    "response",
                    payload=io.BytesIO(spec.body),
                    http_headers=http_headers,
                    warc_headers_dict={"WARC-Date": date},
                )
                first_seen.setdefault(digest, (spec.url, date))
            writer.write_record(record)
    return out
