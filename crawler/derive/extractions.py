"""Stored bodies -> cached extractions, per (digest, extractor id): nothing is read twice by one extractor."""

from __future__ import annotations

import json

from crawler.derive.judgements import AS_POLICY
from crawler.extract import EXTRACTOR_VERSION, Rule, Rules, extract, version_key
from crawler.store import Store


def _header(headers: dict, name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v[0] if isinstance(v, list) else v
    return None


def extract_pending(store: Store, rules: Rules, extractor: str = EXTRACTOR_VERSION) -> int:
    """Extract every successfully fetched body not yet read by this extractor version, with each
    per-target rule every body of a capture that rule reads, and the bodies of captures a person
    judged to be the policy as the policy (``AS_POLICY``). Returns how many were read."""
    jobs: dict[tuple[str, str], Rule | None] = {(d, extractor): None for d in store.snapshots_to_extract(extractor)}
    for rule in rules.rules:
        rid = rules.extractor_id(extractor, rule)
        for digest, url, ts in store.captures_unread_by(rule.company, rid):
            if rules.for_capture(rule.company, url, ts) is rule:
                jobs[(digest, rid)] = rule
    # captures a person judged to be the policy: also read without the extractor's verdicts
    for digest, company, url, ts in store.captures_judged_policy():
        rule = rules.for_capture(company, url, ts)
        eid = rules.extractor_id(extractor, rule) + AS_POLICY
        if (digest, eid) not in jobs and not store.has_extraction(digest, eid):
            jobs[(digest, eid)] = rule
    for (digest, eid), rule in jobs.items():
        body, headers, mimetype = store.snapshot_body(digest)
        result = extract(body, _header(headers, "content-type") or mimetype, rule, as_policy=eid.endswith(AS_POLICY))
        policy = result.is_policy
        store.save_extraction(
            digest,
            eid,
            result.verdict,
            result.reason,
            result.title,
            version_key(result.text) if policy else None,
            result.text if policy else None,
            json.dumps(result.regions) if policy and result.regions else None,
        )
    return len(jobs)
