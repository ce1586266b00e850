"""A database built from real policy histories: HER, happn and Match as Open Terms Archive fetched them.

The snapshots are the demo's real ones (crawler/localarchive/sample/realdata, ODC-BY 1.0), stored
as a crawl stores them (each CDX row a capture, each distinct body once) and derived; no archive
needed. 2022-01 to 2026-05, with months and whole years in which a company has no capture (happn
from 2022-09 to 2025-04), two of Match's captures that are its homepage (not a policy), changes of
every kind and topic. One capture is made here from a real one: HER's last page with one phrase
capitalised (2025-12), a cosmetic change -- since extraction html-3 none of the real ones is.
"""

from __future__ import annotations

import csv
from pathlib import Path

from crawler.archive import payload_digest
from crawler.demo import SAMPLE_DIR
from crawler.derive import derive
from crawler.localarchive.warc import read_manifest
from crawler.store import Store

from .test_storage import capture, snapshot

COMPANIES = ("HER", "happn", "Match")
COSMETIC_TS = "20251220000000"  # the one capture made here, not archived: a cosmetic edit of HER's last page


def build_real_histories(path: Path) -> Path:
    with (SAMPLE_DIR / "targets.csv").open(newline="", encoding="utf-8") as fh:
        companies = {row["url"]: row["company"] for row in csv.DictReader(fh) if row["company"] in COMPANIES}
    store = Store(path)
    targets = {url: store.upsert_target(company, url, "privacy policy") for url, company in companies.items()}
    specs = [s for s in read_manifest(SAMPLE_DIR / "captures.csv") if s.url in targets]
    # one edit of form only: HER's last page a month later, with one phrase capitalised
    last = max((s for s in specs if companies[s.url] == "HER"), key=lambda s: s.timestamp)
    recased = last.body.replace(b"personal information", b"Personal Information", 1)
    assert recased != last.body
    for url, ts, body in [(s.url, s.timestamp, s.body) for s in specs] + [(last.url, COSMETIC_TS, recased)]:
        digest = payload_digest(body)
        capture(store, targets[url], ts, digest, url=url)
        if not store.has_snapshot(digest):
            snapshot(store, digest, ts, body, url=url)
    derive(store)
    store.close()
    return path
