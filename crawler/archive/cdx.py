"""Archive dialects: CDX query building and parsing, ``id_`` memento URLs, timestamps.

Pure functions and value objects only: nothing here makes a request or touches the database.
Two dialects are spoken:

* ``ia``   -- the Internet Archive's Wayback Machine (``/cdx/search/cdx``, JSON or text rows,
  ``showResumeKey`` paging, redirects rewritten into the archive);
* ``pywb`` -- Webrecorder pywb and the institutional archives running it (``/<coll>/cdx``,
  NDJSON, no resume key, archived redirects pointing at the live URL).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote, urlencode, urljoin, urlsplit

from crawler.defaults import CDX_PAGE_SIZE, DEFAULT_ARCHIVE, DEFAULT_COLLECTION, DEFAULT_DIALECT
from crawler.errors import UnexpectedResponseFormat, UsageError

DIALECTS = ("ia", "pywb")
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")

_COLLECTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MEMENTO_PATH_RE = re.compile(r"^/(?P<coll>[^/]+)/(?P<ts>\d{1,14})(?P<mod>[a-z]{2}_)?/(?P<url>.+)$")


class CdxRecord(NamedTuple):
    """One CDX row: one capture of one URL."""

    urlkey: str
    timestamp: str
    url: str
    mimetype: str
    statuscode: str
    digest: str
    length: int | None


class CdxPage(NamedTuple):
    records: list[CdxRecord]
    resume_key: str | None


# --------------------------------------------------------------------------- digests


def payload_digest(body: bytes) -> str:
    """The CDX/WARC payload digest: base32 of the body's SHA-1."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


# Captures the archive lists without a digest ("-") are keyed by their own (timestamp, url): they
# must never be taken for one another's duplicates. The placeholder says so in every table (and
# migration 0008 computes the same one in SQL for rows stored before it existed).
NO_DIGEST_PREFIX = "NODIGEST:"


def capture_digest(digest: str, url: str, timestamp: str) -> str:
    """The digest a capture is stored and deduplicated by: the archive's, else a placeholder
    unique to this (timestamp, url)."""
    d = normalise_digest(digest)
    if d in ("", "-"):
        return f"{NO_DIGEST_PREFIX}{timestamp}:{url}"
    return d


def has_archive_digest(digest: str) -> bool:
    """False for the placeholder of a capture listed without a digest (nothing to check a body against)."""
    return not digest.startswith(NO_DIGEST_PREFIX)


def normalise_digest(digest: str) -> str:
    """Strip a ``sha1:`` prefix; CDX digests are compared in upper-case base32."""
    d = digest.strip()
    if d.lower().startswith("sha1:"):
        d = d[5:]
    return d.upper()


# --------------------------------------------------------------------------- the archive


@dataclass(frozen=True)
class Archive:
    """Where an archive lives, which dialect it speaks and which of its collections is read."""

    base: str = DEFAULT_ARCHIVE
    dialect: str = DEFAULT_DIALECT
    collection: str = DEFAULT_COLLECTION

    def __post_init__(self) -> None:
        parts = urlsplit(self.base)
        try:
            port = parts.port
        except ValueError:
            port = 0
        if port == 0 or parts.query or parts.fragment:
            raise UsageError(f"--archive must be an http(s) URL such as {DEFAULT_ARCHIVE}, not {self.base!r}")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"--archive must be an http(s) URL such as {DEFAULT_ARCHIVE}, not {self.base!r}")
        if self.dialect not in DIALECTS:
            raise UsageError(f"--dialect must be one of {', '.join(DIALECTS)}, not {self.dialect!r}")
        if not _COLLECTION_RE.match(self.collection or ""):
            raise UsageError(
                f"--collection must be a collection name such as {DEFAULT_COLLECTION} "
                f"(letters, digits, '.', '_', '-'), not {self.collection!r}"
            )
        object.__setattr__(self, "base", self.base.rstrip("/"))

    @property
    def netloc(self) -> str:
        return urlsplit(self.base).netloc.lower()

    @property
    def key(self) -> str:
        """A stable name for this archive in the database (a local archive's port changes per run).

        ``local/<collection>`` on this machine; elsewhere host and path (``web.archive.org``), with
        ``#<collection>`` when the collection is not ``web`` -- keys of ``web`` archives stay as
        they always were, so existing databases keep matching -- and an ``http://`` prefix for an
        archive served without TLS. ``archive_key_parts`` reads it back.
        """
        if self.is_local:
            return f"local/{self.collection}"
        parts = urlsplit(self.base)
        key = (parts.netloc.lower() + parts.path).rstrip("/")
        if parts.scheme == "http":
            key = f"http://{key}"
        return key if self.collection == DEFAULT_COLLECTION else f"{key}#{self.collection}"

    @property
    def hostname(self) -> str:
        return urlsplit(self.base).hostname or ""

    @property
    def is_local(self) -> bool:
        """True for an archive on this machine (a loopback address or ``localhost``), where rate
        limits may be lifted. A host name that merely starts with ``127.`` is not one."""
        host = self.hostname.lower()
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    # -- CDX --------------------------------------------------------------------------
    def cdx_url(
        self,
        url: str,
        *,
        resume_key: str | None = None,
        from_ts: str | None = None,
        to_ts: str | None = None,
        limit: int = CDX_PAGE_SIZE,
    ) -> str:
        """The CDX query listing every capture (all statuses) of ``url``."""
        if self.dialect == "ia":
            params: list[tuple[str, str]] = [
                ("url", url),
                ("output", "json"),
                ("fl", ",".join(CDX_FIELDS)),
                ("limit", str(limit)),
                ("showResumeKey", "true"),
            ]
            endpoint = f"{self.base}/cdx/search/cdx"
        else:
            params = [("url", url), ("output", "json"), ("limit", str(limit))]
            endpoint = f"{self.base}/{self.collection}/cdx"
        if from_ts:
            params.append(("from", from_ts))
        if to_ts:
            params.append(("to", to_ts))
        if resume_key and self.dialect == "ia":
            params.append(("resumeKey", resume_key))
        return f"{endpoint}?{urlencode(params)}"

    def parse_cdx(self, body: bytes | str, query: str = "") -> CdxPage:
        """Parse one CDX answer of this dialect into typed records (and IA's resume key)."""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        if self.dialect == "pywb":
            return CdxPage(parse_pywb_cdx(text, query), None)
        return parse_ia_cdx(text, query)

    # -- mementos ---------------------------------------------------------------------
    def memento_url(self, timestamp: str, url: str, mode: str = "id_") -> str:
        """The raw (``id_``) memento: the archived bytes as captured, without replay rewriting
        (``mode=""`` gives the archive's replay page)."""
        return f"{self.base}/{self.collection}/{timestamp}{mode}/{url}"

    def parse_memento_url(self, url: str) -> tuple[str, str] | None:
        """``<base>/<coll>/<ts>id_/<url>`` -> (timestamp, original url), or None."""
        parts = urlsplit(url)
        if parts.netloc.lower() != self.netloc:
            return None
        path = parts.path
        prefix = urlsplit(self.base).path
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :]
        m = _MEMENTO_PATH_RE.match(path + (f"?{parts.query}" if parts.query else ""))
        if not m or m.group("coll") != self.collection:
            return None
        original = m.group("url")
        if original.startswith(("http%3A", "https%3A")):
            original = unquote(original)
        original = re.sub(r"^(https?):/(?!/)", r"\1://", original)  # collapsed double slash
        return m.group("ts"), original

    def resolve_redirect(self, location: str, current_url: str, timestamp: str) -> tuple[str, str]:
        """Where an archived redirect leads, as (timestamp, original url) to fetch *from this archive*.

        IA rewrites ``Location`` into the archive (absolute or path-based); pywb leaves the live
        URL. Either way the answer is a memento of this archive: the live web is never the target.
        """
        absolute = urljoin(current_url, location.strip())
        inside = self.parse_memento_url(absolute)
        if inside:
            return inside
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UnexpectedResponseFormat(f"archived redirect to unusable location {location!r}")
        if parts.netloc.lower() == self.netloc:
            raise UnexpectedResponseFormat(f"archived redirect to a non-memento archive page {location!r}")
        return timestamp, absolute


def archive_key_parts(key: str) -> tuple[str | None, str]:
    """The base URL and collection an ``Archive.key`` stands for; the base is None for a local
    archive (its address changed with each run)."""
    if key.startswith("local/"):
        return None, key.split("/", 1)[1]
    where, _, collection = key.partition("#")
    base = where if where.startswith("http://") else f"https://{where}"
    return base, collection or DEFAULT_COLLECTION


# --------------------------------------------------------------------------- parsers


def _record(fields: dict[str, str], query: str) -> CdxRecord:
    ts = (fields.get("timestamp") or "").strip()
    if not re.fullmatch(r"\d{14}", ts):
        raise UnexpectedResponseFormat(f"CDX row with bad timestamp {ts!r} in answer to {query}: {fields}")
    url = (fields.get("original") or fields.get("url") or "").strip()
    if not url:
        raise UnexpectedResponseFormat(f"CDX row without a URL in answer to {query}: {fields}")
    length = (fields.get("length") or "").strip()
    return CdxRecord(
        urlkey=fields.get("urlkey", "") or "",
        timestamp=ts,
        url=url,
        mimetype=(fields.get("mimetype") or fields.get("mime") or "unk").strip(),
        statuscode=(fields.get("statuscode") or fields.get("status") or "-").strip(),
        digest=capture_digest(fields.get("digest") or "", url, ts),
        length=int(length) if length.isdigit() else None,
    )


def parse_ia_cdx(text: str, query: str = "") -> CdxPage:
    """Parse IA CDX output: JSON (``output=json``) or space-separated text, with a resume key."""
    stripped = text.strip()
    if not stripped:
        return CdxPage([], None)
    if stripped.startswith("["):
        try:
            rows = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise UnexpectedResponseFormat(
                f"CDX answer to {query} is not valid JSON ({exc.msg} at {exc.pos}): {stripped[:200]!r}"
            ) from None
        if not rows:
            return CdxPage([], None)
        header, body = rows[0], rows[1:]
        resume_key = None
        # with showResumeKey the last two rows are [] and [key]
        if len(body) >= 2 and body[-2] == [] and len(body[-1]) == 1:
            resume_key = body[-1][0]
            body = body[:-2]
        records = []
        for row in body:
            if not isinstance(row, list) or len(row) != len(header):
                raise UnexpectedResponseFormat(f"malformed CDX row {row!r} in answer to {query}")
            records.append(_record(dict(zip(header, row)), query))
        return CdxPage(records, resume_key)
    # text output: "urlkey timestamp original mimetype statuscode digest length", then a
    # blank line and the (URL-encoded) resume key
    lines = text.split("\n")
    resume_key = None
    if "" in lines:
        blank = lines.index("")
        tail = [ln for ln in lines[blank + 1 :] if ln.strip()]
        if len(tail) == 1 and " " not in tail[0].strip():
            resume_key = tail[0].strip()  # sent back verbatim (it is already URL-encoded)
            lines = lines[:blank]
    records = []
    for line in lines:
        if not line.strip():
            continue
        parts = line.split(" ")
        if len(parts) != len(CDX_FIELDS):
            raise UnexpectedResponseFormat(f"malformed CDX line {line!r} in answer to {query}")
        records.append(_record(dict(zip(CDX_FIELDS, parts)), query))
    return CdxPage(records, resume_key)


def parse_pywb_cdx(text: str, query: str = "") -> list[CdxRecord]:
    """Parse pywb's NDJSON CDX output (field names ``url``, ``mime``, ``status``)."""
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
        except json.JSONDecodeError:
            raise UnexpectedResponseFormat(f"line {n} of CDX answer to {query} is not JSON: {line[:200]!r}") from None
        if not isinstance(fields, dict):
            raise UnexpectedResponseFormat(f"line {n} of CDX answer to {query} is not an object: {line[:200]!r}")
        records.append(_record({k: str(v) for k, v in fields.items()}, query))
    return records


# --------------------------------------------------------------------------- triage

# Captures of these types may hold a policy; anything else (images, scripts, ...) is never fetched.
DOCUMENT_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "application/pdf",
    "unk",
    "application/octet-stream",
)


def triage(record: CdxRecord) -> str | None:
    """Why a capture needs no fetch (a skip reason), or None when its ``id_`` body must be fetched.

    Revisits are fetched by digest like any capture (the digest check comes first); redirects
    are fetched to learn where they lead; archived 4xx/5xx and non-documents are skipped.
    """
    status = record.statuscode
    mimetype = record.mimetype.lower()
    if mimetype == "warc/revisit" or status in ("-", ""):
        return None
    if not status.isdigit():
        return f"unreadable archived status {status!r}"
    code = int(status)
    if 300 <= code < 400:
        return None
    if code >= 400:
        return f"archived HTTP {code}"
    if code < 200:
        return f"archived HTTP {code}"
    if mimetype not in DOCUMENT_TYPES:
        return f"not a document: {mimetype}"
    return None
