"""``policytrail reextract``: derive again from stored snapshots, after an extractor or rule change.

No network: every body is in ``snapshots``. Extractions are cached per (digest, extractor id),
and a rule's id is a hash of what it does, so only what a new extractor version or an edited
rule reads differently is extracted again (``force`` re-extracts everything). A capture whose
version changes here changes only because of its extraction: ``derive`` records it in
``reextractions`` and the timeline's changes stay those of the policy. A new segmenter or
differ (``SEGMENTER_VERSION``, ``DIFFER_VERSION``) makes derive segment and diff the stored
versions again: the same changes (same keys, so judgements still apply), new clause rows.
"""

from __future__ import annotations

from crawler.derive.derive import DeriveReport, derive
from crawler.derive.judgements import AS_POLICY
from crawler.errors import UnknownCompany
from crawler.extract import EXTRACTOR_VERSION, Rules
from crawler.store import Store


def reextract(
    store: Store, companies: tuple[str, ...] = (), rules: Rules | None = None, force: bool = False, jobs: int = 1
) -> tuple[list[dict], DeriveReport]:
    """Re-derive the companies' documents; per company, what changed because of it (and derive's
    report: how the skip rules fare). ``jobs`` > 1: extraction and clause diffs on that many
    processes (``crawler.scale.parallel``), with the same result."""
    if companies:  # before anything is extracted again
        known = [r[0] for r in store.query("SELECT DISTINCT company FROM documents")]
        UnknownCompany.check(companies, known, str(store.path))
    rules = rules or Rules()
    before = store.document_figures(companies)
    first_new = store.last_reextraction_id()
    if force:
        ids = [EXTRACTOR_VERSION] + [rules.extractor_id(EXTRACTOR_VERSION, r) for r in rules.rules]
        store.forget_extractions(ids + [i + AS_POLICY for i in ids], companies)
        store.forget_skip_matches([s.id for s in rules.skips], companies)
    if jobs > 1:
        from crawler.scale.parallel import diffs_parallel, extract_parallel, workers

        with workers(jobs) as pool:  # processes started once, for both
            extracted = extract_parallel(store, rules, jobs, pool=pool)
            diff = diffs_parallel(store, companies, rules, jobs, pool=pool)
        report = derive(store, companies, rules, diff=diff)
        report.extracted += extracted
    else:
        report = derive(store, companies, rules)
    after = store.document_figures(companies)
    reread = store.reextracted_captures_since(first_new)
    return [
        {
            "company": company,
            "versions_before": before.get(company, {}).get("versions", 0),
            "versions_after": fig["versions"],
            "captures_reread": reread.get(company, 0),
            "changes_before": before.get(company, {}).get("changes", 0),
            "changes_after": fig["changes"],
            # clause diffs computed again (new versions, or a new segmenter or differ): the same
            # changes of the policy, with their clause rows made anew
            "diffs_recomputed": report.changes_computed_by_company.get(company, 0),
            "extracted": report.extracted,
        }
        for company, fig in sorted(after.items())
    ], report
