"""Stored bodies -> cached extractions, per (digest, extractor id): nothing is read twice by one extractor."""

from __future__ import annotations

from crawler.extract import EXTRACTOR_VERSION, Rule, Rules, extract, text_hash
from crawler.store import Store


def _header(headers: dict, name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v[0] if isinstance(v, list) else v
    return None


def extract_pending(store: Store, rules: Rules, extractor: str = EXTRACTOR_VERSION) -> int:
    """Extract every successfully fetched body not yet read by this extractor version, and with
    each per-target rule every body of a capture that rule reads. Returns how many were read."""
    jobs: dict[tuple[str, str], Rule | None] = {(d, extractor): None for d in store.snapshots_to_extract(extractor)}
    for rule in rules.rules:
        rid = rules.extractor_id(extractor, rule)
        for digest, url, ts in store.captures_unread_by(rule.company, rid):
            if rules.for_capture(rule.company, url, ts) is rule:
                jobs[(digest, rid)] = rule
    for (digest, eid), rule in jobs.items():
        body, headers, mimetype = store.snapshot_body(digest)
        result = extract(body, _header(headers, "content-type") or mimetype, rule)
        policy = result.is_policy
        store.save_extraction(
            digest,
            eid,
            result.verdict,
            result.reason,
            result.title,
            text_hash(result.text, normalized=True) if policy else None,
            result.text if policy else None,
        )
    return len(jobs)
