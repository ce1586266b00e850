"""A database built from real policy histories: HER, happn and Match as Open Terms Archive fetched them.

The snapshots are the demo's real ones (crawler/localarchive/sample/realdata, ODC-BY 1.0), stored
as a crawl stores them (each CDX row a capture, each distinct body once) and derived; no archive
needed. 2022-01 to 2026-05, with months and whole years in which a company has no capture (happn
from 2022-09 to 2025-04), two of Match's captures that are its homepage (not a policy), changes of
every kind and topic.
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


def build_real_histories(path: Path) -> Path:
    with (SAMPLE_DIR / "targets.csv").open(newline="", encoding="utf-8") as fh:
        companies = {row["url"]: row["company"] for row in csv.DictReader(fh) if row["company"] in COMPANIES}
    store = Store(path)
    targets = {url: store.upsert_target(company, url, "privacy policy") for url, company in companies.items()}
    for spec in read_manifest(SAMPLE_DIR / "captures.csv"):
        if spec.url not in targets:
            continue
        digest = payload_digest(spec.body)
        capture(store, targets[spec.url], spec.timestamp, digest, url=spec.url)
        if not store.has_snapshot(digest):
            snapshot(store, digest, spec.timestamp, spec.body, url=spec.url)
    derive(store)
    store.close()
    return path
