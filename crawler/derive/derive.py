"""The one idempotent step from stored facts (captures, snapshots) to everything derived.

It runs at the end of every crawl, after a resume, for ``reextract`` and after a merge. The
whole flow for one document, in one transaction:

    captures (+ judgements, skip rules) -> readings (cached extractions) -> versions (+ stated date, length,
    readability) -> captures not fetched, inferred between fetched ones that agree -> spans -> clauses ->
    changes -> lineage -> judged changes and the judged timeline

Re-running it is safe and its result never depends on the order captures arrived in: extractions
are cached per (digest, extractor), versions keyed by (document, text hash), spans rebuilt whole,
and what derives from spans refreshed every time (``changes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.derive.changes import derive_changes, retag_clauses, segment_versions
from crawler.derive.extractions import extract_pending
from crawler.derive.inference import infer_unread
from crawler.derive.judgements import SkipRuleStatus, judge_timeline, match_skip_rules, skip_rule_status
from crawler.derive.timeline import link_versions, record_readability, record_stated_dates, spans_of
from crawler.diff import Taxonomy, diff_clauses, load_taxonomy
from crawler.extract import EXTRACTOR_VERSION, Rules
from crawler.store import Store


@dataclass
class DeriveReport:
    extracted: int = 0
    documents: int = 0
    versions: int = 0
    spans: int = 0
    changes_computed: int = 0
    changes_computed_by_company: dict[str, int] = field(default_factory=dict)  # clause diffs computed (again)
    skip_rules: list[SkipRuleStatus] = field(default_factory=list)  # how each skip rule fares


def derive_document(
    store: Store, document_id: int, rules: Rules, extractor: str, taxonomy: Taxonomy, diff=diff_clauses
) -> tuple:
    """Bring one document's derived rows up to date; returns (versions in force, spans, diffs computed)."""
    with store.transaction():
        spans = spans_of(infer_unread(store, document_id, link_versions(store, document_id, rules, extractor)))
        record_stated_dates(store, document_id)
        record_readability(store, document_id)
        store.replace_spans(document_id, spans)
        segment_versions(store, document_id, taxonomy)
        computed = derive_changes(store, document_id, taxonomy, diff)
        judge_timeline(store, document_id)
        return store.versions_in_force(document_id), len(spans), computed


def derive_versions(
    store: Store, companies: list[str] | tuple[str, ...], rules: Rules | None = None, extractor: str = EXTRACTOR_VERSION
) -> int:
    """Only what the crawl's change-point search needs between its rounds: new bodies extracted and each
    capture linked to its version (keys with the target's learnt furniture left out). Clauses, changes,
    spans and inferences wait for the full ``derive`` at the end of the crawl. Returns bodies read."""
    rules = rules or Rules()
    extracted = extract_pending(store, rules, extractor)
    match_skip_rules(store, rules)
    for doc_id, _, _ in store.documents(companies):
        with store.transaction():
            link_versions(store, doc_id, rules, extractor)
    return extracted


def derive(
    store: Store,
    companies: list[str] | tuple[str, ...] = (),
    rules: Rules | None = None,
    extractor: str = EXTRACTOR_VERSION,
    taxonomy: Taxonomy | None = None,
    diff=diff_clauses,
) -> DeriveReport:
    """Bring every derived table up to date with the stored captures and snapshots (``diff``: how
    clause diffs are made; ``crawler.scale.parallel`` answers them from diffs computed in parallel)."""
    rules = rules or Rules()
    taxonomy = taxonomy or load_taxonomy()
    report = DeriveReport(extracted=extract_pending(store, rules, extractor))
    match_skip_rules(store, rules)
    retag_clauses(store, taxonomy)
    for doc_id, company, _ in store.documents(companies):
        versions, spans, computed = derive_document(store, doc_id, rules, extractor, taxonomy, diff)
        report.documents += 1
        report.versions += versions
        report.spans += spans
        report.changes_computed += computed
        by_company = report.changes_computed_by_company
        by_company[company] = by_company.get(company, 0) + computed
    store.drop_unused_clauses()
    report.skip_rules = skip_rule_status(store, rules, tuple(companies))
    return report
