"""Archive dialects (Internet Archive, pywb): CDX queries and typed records, memento URLs, timestamps.

Pure functions and value objects: nothing here makes a request or touches the database.
"""

from crawler.archive.cdx import (
    DIALECTS,
    Archive,
    CdxPage,
    CdxRecord,
    archive_key_parts,
    capture_digest,
    has_archive_digest,
    normalise_digest,
    parse_ia_cdx,
    parse_pywb_cdx,
    payload_digest,
    triage,
)
from crawler.archive.timestamps import (
    ISO_FORMAT,
    TS_FORMAT,
    days_between,
    http_date_to_ts,
    parse_time,
    shift_ts,
    ts_to_datetime,
    ts_to_iso,
    utcnow,
)

__all__ = [
    "DIALECTS",
    "ISO_FORMAT",
    "TS_FORMAT",
    "Archive",
    "CdxPage",
    "CdxRecord",
    "archive_key_parts",
    "capture_digest",
    "days_between",
    "has_archive_digest",
    "http_date_to_ts",
    "normalise_digest",
    "parse_ia_cdx",
    "parse_pywb_cdx",
    "parse_time",
    "payload_digest",
    "shift_ts",
    "triage",
    "ts_to_datetime",
    "ts_to_iso",
    "utcnow",
]
