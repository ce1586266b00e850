"""Captures -> versions (one per distinct policy text) -> spans (the timeline), for one document."""

from __future__ import annotations

from crawler.archive import days_between
from crawler.derive.chrome import learn, policy_text, redesigns
from crawler.derive.judgements import AS_POLICY, judged_reason, skip_reason
from crawler.diff import readability_id, readability_of
from crawler.extract import (
    REPLACEMENT,
    Rules,
    key_text,
    key_text_with_replacements,
    same_key_words,
    skeleton,
    stated_date,
)
from crawler.store import Reading, Store


def link_versions(store: Store, document_id: int, rules: Rules, extractor: str) -> list[tuple[int, str, int]]:
    """Give each capture of the document the version its reading holds (or none, with why).

    Each capture is read by the extraction of the rule in force for it (or the generic one). A
    person's judgement on the capture comes first, then the skip rules in force for it, then the
    extractor's verdict (``judgements.py``). A capture whose version changes here changes only
    because its reading (or a judgement) did -- bodies never change: that is recorded in
    ``reextractions``, never as a change of the policy. Returns the timeline: (capture id,
    timestamp, version id) of the captures holding policy text, in order.
    """
    company = store.document_company(document_id)
    judged = store.capture_judgements(document_id)
    skips = [s for s in rules.skips if s.company == company]
    matched = store.skip_matches(document_id) if skips else {}
    wanted = [extractor] + [rules.extractor_id(extractor, r) for r in rules.rules if r.company == company]
    if any(j[0] == "policy" for j in judged.values()):
        wanted += [w + AS_POLICY for w in wanted]
    by_capture: dict[int, dict[str, Reading]] = {}
    for r in store.readings(document_id, wanted):
        by_capture.setdefault(r.capture_id, {})[r.extractor] = r
    decided: list[tuple[Reading, str | None, str]] = []  # (reading, why it holds no policy, by whom)
    for capture_id, readings in by_capture.items():
        any_reading = next(iter(readings.values()))
        expected = rules.extractor_id(extractor, rules.for_capture(company, any_reading.url, any_reading.timestamp))
        r = readings.get(expected)
        if r is None:
            continue  # only other rules' readings of this body so far
        verdict, author, at, note = judged.get(capture_id, (None, None, None, None))
        if verdict == "policy" and r.verdict != "policy":
            r = readings.get(expected + AS_POLICY, r)
        by, why = r.extractor, None
        if verdict == "not_policy":
            why, by = judged_reason(author, at, note), f"judgement by {author}"
        elif verdict != "policy" and r.verdict == "policy":
            for rule in rules.skips_for(company, r.url, r.timestamp) if skips else ():
                if (r.digest, rule.id) in matched:
                    why, by = skip_reason(rule, matched[(r.digest, rule.id)]), rule.id
                    break
        if why is None and r.verdict != "policy":
            why = f"{'not a policy' if r.verdict == 'not_policy' else 'unsupported'}: {r.reason}"
        decided.append((r, why, by))
    texts = policy_texts(store, document_id, [r for r, why, _ in decided if why is None])
    timeline: list[tuple[int, str, int]] = []
    moved: dict[tuple[int, int | None], tuple[list[str], str]] = {}
    origin: dict[int, tuple[int, str, str]] = {}  # version -> (target, extractor, text) of its earliest capture
    laid_out: list[tuple] = []
    previous: tuple[Reading, int, str] | None = None
    for r, why, by in decided:
        vid = None
        if why is None:
            text, key = texts[r.capture_id]
            vid = store.version_for(document_id, r.target_id, key, text, r.extractor)
            # of the captures sharing a body, the earliest is `fetched` -- also when it was skipped by
            # a judgement or a skip rule (captures of one body can differ there), whatever the order
            store.link_capture(r.capture_id, vid, "fetched" if r.first_of_digest else "duplicate")
            timeline.append((r.capture_id, r.timestamp, vid))
            if vid not in origin or (REPLACEMENT in origin[vid][2] and REPLACEMENT not in text):
                origin[vid] = (r.target_id, r.extractor, text)
            if previous is not None and previous[1] == vid and previous[2] != text:
                laid_out.append((vid, previous[0].capture_id, r.capture_id, previous[0].timestamp, r.timestamp))
            previous = (r, vid, text)
        else:
            store.unlink_capture(r.capture_id, why)
        if r.version_id is not None and r.version_id != vid:
            moved.setdefault((r.version_id, vid), ([], by))[0].append(r.timestamp)
    store.record_reextractions(document_id, [(old, new, ts, by) for (old, new), (ts, by) in moved.items()])
    store.replace_layout_changes(document_id, laid_out)
    store.refresh_version_counts(document_id)
    for vid, (target_id, extractor_id, text) in origin.items():  # whichever reading happened to make it first
        store.set_version_origin(vid, target_id, extractor_id)
        store.set_version_text(vid, text)
    return timeline


def policy_texts(store: Store, document_id: int, policy: list[Reading]) -> dict[int, tuple[str, str]]:
    """Per capture holding policy text: (text, version key), once each target's learnt furniture is
    left out (stored with its evidence), a text damaged by undecodable bytes takes the key of a
    text that says the same words, and a text that differs from the one before a redesign only by
    lines of the templates takes its key (stored with the furniture, slot ``redesign …``)."""
    by_target: dict[int, list[Reading]] = {}
    for r in policy:
        by_target.setdefault(r.target_id, []).append(r)
    furniture = {target_id: learn(readings) for target_id, readings in by_target.items()}
    texts = {r.capture_id: policy_text(r, furniture[r.target_id]) for r in policy}
    damaged = [cid for cid, (text, _) in texts.items() if REPLACEMENT in text]
    if damaged:
        clean: dict[str, str] = {}  # version key -> its key text
        for text, key in texts.values():
            if REPLACEMENT not in text and key not in clean:
                clean[key] = key_text(text)
        resolved: dict[str, str | None] = {}  # many captures share one damaged body
        for cid in damaged:
            text, _ = texts[cid]
            if text not in resolved:
                words = key_text_with_replacements(text)
                resolved[text] = next((k for k, kt in clean.items() if same_key_words(words, kt)), None)
            if resolved[text] is not None:
                texts[cid] = (text, resolved[text])
    frames: dict[str, frozenset[str]] = {}

    def frame(r: Reading) -> frozenset[str]:
        if r.digest not in frames:
            frames[r.digest] = skeleton(*store.snapshot_content(r.digest))
        return frames[r.digest]

    rows = []
    for target_id, readings in by_target.items():
        learnt = {**furniture[target_id], **redesigns(readings, texts, furniture[target_id], frame)}
        rows += [(target_id, slot, x.pairs, x.first_from, x.first_to, x.before, x.after) for slot, x in learnt.items()]
    store.replace_template_chrome(document_id, sorted(rows))
    return texts


def record_stated_dates(store: Store, document_id: int) -> None:
    """The date each new version states for itself ("Last updated: ..."), read once per text."""
    for vid, text in store.versions_without_stated_date(document_id):
        found = stated_date(text)
        store.set_stated_date(vid, found.date.isoformat() if found else None, found.phrase if found else "")


def record_readability(store: Store, document_id: int) -> None:
    """Words, sentences and reading grade of each version, computed once per text (and again only when
    what computes them changes): versions made before these figures existed get them here, from the
    stored text, without reading their snapshots again."""
    method = readability_id()
    for vid, text in store.versions_without_readability(document_id, method):
        figures = readability_of(text)
        store.set_readability(vid, figures.words, figures.sentences, figures.grade, method)


def spans_of(timeline: list[tuple[int, str, int]]) -> list[tuple]:
    """Consecutive captures showing the same version, as ``Store.replace_spans`` rows."""
    runs = []  # (first, last, count)
    start = 0
    for i in range(1, len(timeline) + 1):
        if i == len(timeline) or timeline[i][2] != timeline[start][2]:
            runs.append((timeline[start], timeline[i - 1], i - start))
            start = i
    rows = []
    for position, (first, last, count) in enumerate(runs):
        next_start = runs[position + 1][0][1] if position + 1 < len(runs) else None
        days = days_between(first[1], next_start) if next_start else None
        rows.append((position, first[2], first[0], last[0], first[1], last[1], next_start, days, count))
    return rows
