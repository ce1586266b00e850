"""Stored bodies -> cached extractions, per (digest, extractor id): nothing is read twice by one extractor."""

from __future__ import annotations

import json

from crawler.derive.judgements import AS_POLICY
from crawler.extract import EXTRACTOR_VERSION, Rule, Rules, extract, version_key
from crawler.store import Store


def extraction_jobs(
    store: Store, rules: Rules, extractor: str = EXTRACTOR_VERSION
) -> dict[tuple[str, str], Rule | None]:
    """What is to be read: {(digest, extractor id): rule} -- every successfully fetched body not yet
    read by this extractor version, with each per-target rule every body of a capture that rule
    reads, and the bodies of captures a person judged to be the policy as the policy (``AS_POLICY``)."""
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
    return jobs


def read_body(store: Store, digest: str, eid: str, rule: Rule | None) -> tuple:
    """One body read by one extractor: the arguments of ``Store.save_extraction`` (a pure function
    of the stored body, so that any process may compute it)."""
    body, content_type = store.snapshot_content(digest)
    result = extract(body, content_type, rule, as_policy=eid.endswith(AS_POLICY))
    policy = result.is_policy
    return (
        digest,
        eid,
        result.verdict,
        result.reason,
        result.title,
        version_key(result.text) if policy else None,
        result.text if policy else None,
        json.dumps(result.regions) if policy and result.regions else None,
    )


def extract_pending(store: Store, rules: Rules, extractor: str = EXTRACTOR_VERSION) -> int:
    """Extract everything :func:`extraction_jobs` lists. Returns how many were read."""
    jobs = extraction_jobs(store, rules, extractor)
    for (digest, eid), rule in jobs.items():
        store.save_extraction(*read_body(store, digest, eid, rule))
    return len(jobs)
