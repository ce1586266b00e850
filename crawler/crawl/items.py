"""What the spider hands the pipeline: facts from the archive, nothing derived."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CaptureItem:
    """One CDX row (or a capture reached through an archived redirect)."""

    target_id: int
    archive: str
    url: str
    timestamp: str
    statuscode: str
    mimetype: str
    digest: str
    length: int | None
    state: str = "pending"
    reason: str | None = None
    source: str = "cdx"


@dataclass
class SnapshotItem:
    """The raw ``id_`` body of a capture, its headers and where an archived redirect points."""

    archive: str
    url: str
    timestamp: str
    digest: str
    body: bytes
    headers: dict
    status: int
    mimetype: str
    fetched_url: str
    sha256: str
    digest_ok: bool | None
    redirect_to: str | None = None


@dataclass
class CaptureOutcome:
    """A capture that ends without a snapshot: ``failed`` (retried later) or ``skipped``."""

    archive: str
    url: str
    timestamp: str
    digest: str
    state: str
    reason: str
