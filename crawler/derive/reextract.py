"""``policytrail reextract``: derive again from stored snapshots, after an extractor or rule change.

No network: every body is in ``snapshots``. Extractions are cached per (digest, extractor id),
and a rule's id is a hash of what it does, so only what a new extractor version or an edited
rule reads differently is extracted again (``force`` re-extracts everything). A capture whose
version changes here changes only because of its extraction: ``derive`` records it in
``reextractions`` and the timeline's changes stay those of the policy.
"""

from __future__ import annotations

from crawler.derive.derive import derive
from crawler.extract.page import EXTRACTOR_VERSION
from crawler.extract.rules import Rules
from crawler.store.store import Store


def _figures(store: Store, companies: tuple[str, ...]) -> dict[str, dict]:
    where = f"WHERE d.company IN ({','.join('?' * len(companies))})" if companies else ""
    out: dict[str, dict] = {}
    for company, versions, changes, substantive in store.query(
        f"""SELECT d.company,
                   (SELECT count(*) FROM versions v WHERE v.document_id = d.id AND v.capture_count > 0),
                   (SELECT count(*) FROM changes ch WHERE ch.document_id = d.id),
                   (SELECT count(*) FROM changes ch WHERE ch.document_id = d.id AND ch.substantive > 0)
            FROM documents d {where}""",
        companies,
    ):
        row = out.setdefault(company, {"versions": 0, "changes": 0, "substantive": 0})
        row["versions"] += versions
        row["changes"] += changes
        row["substantive"] += substantive
    return out


def reextract(
    store: Store, companies: tuple[str, ...] = (), rules: Rules | None = None, force: bool = False
) -> list[dict]:
    """Re-derive the companies' documents; per company, what changed because of it."""
    rules = rules or Rules()
    before = _figures(store, companies)
    first_new = store.query("SELECT coalesce(max(id), 0) FROM reextractions")[0][0]
    if force:
        ids = [EXTRACTOR_VERSION] + [rules.extractor_id(EXTRACTOR_VERSION, r) for r in rules.rules]
        scope = f"AND d.company IN ({','.join('?' * len(companies))})" if companies else ""
        with store.transaction():
            store.execute(
                f"""DELETE FROM extractions WHERE extractor IN ({",".join("?" * len(ids))}) AND digest IN (
                      SELECT c.digest FROM captures c JOIN targets t ON t.id = c.target_id
                      JOIN documents d ON d.id = t.document_id WHERE 1 {scope})""",
                (*ids, *companies),
            )
    report = derive(store, companies, rules)
    after = _figures(store, companies)
    reread = dict(
        store.query(
            "SELECT d.company, sum(r.captures) FROM reextractions r JOIN documents d ON d.id = r.document_id"
            " WHERE r.id > ? GROUP BY d.company",
            (first_new,),
        )
    )
    return [
        {
            "company": company,
            "versions_before": before.get(company, {}).get("versions", 0),
            "versions_after": fig["versions"],
            "captures_reread": reread.get(company, 0) or 0,
            "changes_before": before.get(company, {}).get("changes", 0),
            "changes_after": fig["changes"],
            "extracted": report.extracted,
        }
        for company, fig in sorted(after.items())
    ]
