"""Researchers' judgements, applied by derive.

Judgements are stored apart from derived rows (``annotations``), keyed by content-derived
identities, so that they survive ``reextract``, an extractor upgrade and a re-crawl into a fresh
database (plus ``policytrail annotate --import``):

* a capture: (archive, url, timestamp, digest) -- ``not_policy`` or ``policy``;
* a change: its document (company, name) and its stable key (``changes.change_key``: the two
  texts' hashes and the pair's occurrence) -- ``accepted``, ``false``, ``cosmetic`` or
  ``substantive``, with topics and a note.

Of several judgements on one subject the latest is in force. Derive applies them: a capture
judged not the policy gets no version (its reason names who said so), one judged the policy is
read as the policy whatever the extractor's verdicts say; a change judged false joins the spans
around it in the timeline (``judged_spans``, what ``policy_timeline`` shows) but stays in
``changes``, marked. Skip rules of the rules file (``[[skip]]``) mark many captures at once.
Precedence: a person's judgement on a capture, then a skip rule, then the extractor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from crawler.archive import days_between
from crawler.extract import Rules, SkipRule, skip_match
from crawler.store import Store

CAPTURE_VERDICTS = ("not_policy", "policy")
CHANGE_VERDICTS = ("accepted", "false", "cosmetic", "substantive")
# the reading of a capture judged to be the policy: the extractor's text, without its verdicts
AS_POLICY = "/as-policy"


def review_state(verdict: str | None, substantive: int) -> str:
    """``unreviewed``; ``reviewed`` (accepted, or judged as derive had it); ``overridden`` (judged
    false, or judged cosmetic / substantive against what the clause diff says)."""
    if verdict is None:
        return "unreviewed"
    if verdict == "false":
        return "overridden"
    if verdict == "accepted" or (verdict == "substantive") == (substantive > 0):
        return "reviewed"
    return "overridden"


def judged_reason(author: str, at: str, note: str) -> str:
    """The reason of a capture a person judged not to be the policy: who, when, why."""
    return f"not a policy: judged so by {author} on {at[:10]}" + (f" ({note})" if note else "")


def skip_reason(rule: SkipRule, matched: str) -> str:
    return f"not a policy: {rule.label} of the rules file matched ({matched})"


# --------------------------------------------------------------------------- skip rules


def match_skip_rules(store: Store, rules: Rules) -> int:
    """Try every skip rule on each body of its company's captures in its window, once per body."""
    tried = 0
    for rule in rules.skips:
        seen: set[str] = set()
        for digest, url, ts in store.captures_unmatched_by(rule.company, rule.id):
            if digest in seen or not rule.applies(rule.company, url, ts):
                continue
            seen.add(digest)
            store.save_skip_match(digest, rule.id, skip_match(rule, *store.snapshot_content(digest)))
            tried += 1
    return tried


@dataclass
class SkipRuleStatus:
    """How a skip rule fares on the stored captures of its window."""

    rule: SkipRule
    captures: int  # in its window (with a 2xx body)
    tried: int
    matched: int
    first_match: str | None
    last_match: str | None
    after_last_match: int  # captures in its window after its last match

    @property
    def status(self) -> str:
        if not self.captures:
            return "no captures in its window"
        if self.tried < self.captures:
            return "not applied yet"
        if not self.matched:
            return "matches nothing"
        if self.after_last_match:
            return "stopped matching"
        return "matching"

    @property
    def message(self) -> str | None:
        """A warning for a rule that matches nothing or stopped matching; None when all is well."""
        where = f"{self.rule.label} for {self.rule.company}"
        if self.status == "matches nothing":
            return (
                f"{where} matches none of the {self.captures} captures in its window: check its selectors and "
                f"texts, or remove it"
            )
        if self.status == "stopped matching":
            return (
                f"{where} last matched the capture of {self.last_match}; the {self.after_last_match} capture(s) in "
                f"its window since then do not match: if the site changed, end its window (until = "
                f"{self.last_match})"
            )
        return None

    def as_row(self) -> dict:
        return {
            "rule": self.rule.number,
            "company": self.rule.company,
            "url": self.rule.url,
            "from": self.rule.start,
            "until": self.rule.end,
            "note": self.rule.note,
            "captures": self.captures,
            "matched": self.matched,
            "first_match": self.first_match or "",
            "last_match": self.last_match or "",
            "status": self.status,
        }


def skip_rule_status(store: Store, rules: Rules, companies: tuple[str, ...] = ()) -> list[SkipRuleStatus]:
    """Each skip rule (of these companies) as the stored captures and their tried matches show it."""
    wanted = {c.casefold() for c in companies}
    out = []
    for rule in rules.skips:
        if wanted and rule.company.casefold() not in wanted:
            continue
        rows = [r for r in store.skip_rule_captures(rule.company, rule.id) if rule.applies(rule.company, r[0], r[1])]
        hits = [r[1] for r in rows if r[2]]
        after = sum(1 for r in rows if hits and r[1] > hits[-1])
        first, last = (hits[0], hits[-1]) if hits else (None, None)
        out.append(SkipRuleStatus(rule, len(rows), sum(r[3] for r in rows), len(hits), first, last, after))
    return out


# --------------------------------------------------------------------------- changes and the timeline


def _keys_of(key: str, earlier: dict[str, set[str]]) -> list[str]:
    """A change's key, then the keys it had before its versions were re-keyed (a judgement made on a
    database of an earlier extractor stays in force: ``reextractions`` says which versions became which)."""
    old, new, *n = key.split("-")
    suffix = f"-{n[0]}" if n else ""
    return [key] + [
        f"{a}-{b}{suffix}" for a in [old, *sorted(earlier.get(old, ()))] for b in [new, *sorted(earlier.get(new, ()))]
    ][1:]


def judge_timeline(store: Store, document_id: int) -> None:
    """Put the judgement in force on each change of the document, and rebuild its judged timeline:
    spans joined across each change judged false."""
    judgements = store.change_judgements(document_id)
    heads = store.change_heads(document_id)
    earlier = store.earlier_version_hashes(document_id) if judgements else {}
    rows, false_at, keys = [], set(), {}
    for position, key, substantive in heads:
        keys[position] = key
        judged = next(filter(None, (judgements.get(k) for k in _keys_of(key, earlier))), None)
        if judged is None:
            rows.append((position, None, None, None, None, "[]", "unreviewed"))
            continue
        verdict, author, at, note, topics = judged
        rows.append((position, verdict, author, at, note, topics, review_state(verdict, substantive)))
        if verdict == "false":
            false_at.add(position)
    store.set_change_judgements(document_id, rows)

    groups: list[list] = []  # [first span, last span, capture count, spans, joined keys, entry key]
    for span in store.spans(document_id):
        if groups and span.position - 1 in false_at:
            group = groups[-1]
            group[1] = span
            group[2] += span.capture_count
            group[3] += 1
            group[4].append(keys[span.position - 1])
        else:
            groups.append([span, span, span.capture_count, 1, [], keys.get(span.position - 1)])
    out = []
    for n, (first, last, count, joined, joined_keys, entry) in enumerate(groups):
        next_start = groups[n + 1][0].start_ts if n + 1 < len(groups) else None
        out.append(
            (
                n,
                first.version_id,
                last.version_id,
                first.first_capture_id,
                last.last_capture_id,
                first.start_ts,
                last.end_ts,
                next_start,
                days_between(first.start_ts, next_start) if next_start else None,
                count,
                joined,
                json.dumps(joined_keys),
                entry,
            )
        )
    store.replace_judged_spans(document_id, out)
