""" "Why is this a new version?": one capture's policy text with everything left out of it and why
(``policytrail inspect``), and the text-level difference between two captures (``policytrail diff
--captures``), also when they share a version -- then it is what the version key ignored.

Read-only. The stored body is read again by the extractor in force, with the page furniture derive
learnt for its URL, exactly as derive reads it; nothing is written.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

from crawler.archive import parse_time
from crawler.derive.chrome import Learnt, is_furniture, lines_of
from crawler.errors import UnknownCompany, UsageError
from crawler.extract import EXTRACTOR_VERSION, extract, key_text, version_key
from crawler.store import Store

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # archived text never drives the terminal


def printable(text: str) -> str:
    return _UNPRINTABLE.sub("\N{REPLACEMENT CHARACTER}", text)


def find_capture(store: Store, company: str, when: str, url: str | None = None, error=UsageError) -> tuple:
    """The one capture of ``company`` with a stored 2xx body at ``when`` (an archive timestamp or
    ISO time; a shorter one must name exactly one capture): (id, archive, url, timestamp, digest,
    state, statuscode, document, body status). Raises ``error`` saying what to give instead."""
    known = [r[0] for r in store.query("SELECT DISTINCT company FROM documents")]
    UnknownCompany.check([company], known, str(store.path))
    lower, upper = parse_time(when), parse_time(when, upper=True)
    found = store.company_captures(company, lower, upper, url)
    if not found:
        near = store.nearest_captures(company, lower)
        hint = f"; the nearest: {', '.join(near)}" if near else ""
        where = f" of {url}" if url else ""
        raise error(f"{company} has no capture{where} at {when} ({lower}–{upper}){hint}")
    readable = [r for r in found if r[8] is not None and 200 <= r[8] < 300]
    if len(readable) > 1:  # several pages: the person must say which
        listed = ", ".join(f"{r[3]} {r[2]}" for r in readable[:8]) + (" …" if len(readable) > 8 else "")
        same_time = len({r[3] for r in readable}) < len(readable)
        raise error(
            f"{len(readable)} captures of {company} match {when}: {listed}. Give the full 14-digit timestamp"
            + (" and --url" if same_time else "")
        )
    if not readable:
        _, _, curl, ts, _, state, _, _, body_status = found[0]
        why = f"its state is {state}" if body_status is None else f"the archive answered {body_status}"
        raise error(
            f"the capture of {company} at {ts} ({curl}) holds no page to read ({why}): only captures with a stored "
            f"2xx body hold a policy or not"
        )
    return readable[0]


@dataclass
class Left:
    reason: str
    text: str
    where: str  # "main" (inside the policy's main block) or the page region's slot


@dataclass
class CaptureText:
    company: str
    url: str
    timestamp: str
    digest: str
    state: str
    reason: str | None  # why the capture holds no policy, as derive said
    version_id: int | None
    verdict: str
    text: str = ""
    key: str = ""
    left_out: list[Left] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "company": self.company,
            "url": self.url,
            "timestamp": self.timestamp,
            "state": self.state,
            "reason": self.reason,
            "version_id": self.version_id,
            "version_key": self.key or None,
            "extractor": EXTRACTOR_VERSION,
            "verdict": self.verdict,
            "text": self.text,
            "left_out": [{"reason": x.reason, "where": x.where, "text": x.text} for x in self.left_out],
        }


def read_capture(store: Store, company: str, when: str, url: str | None = None) -> CaptureText:
    """One capture's policy text as derive reads it, with every block left out and why."""
    cid, _, curl, ts, digest, _, _, _, _ = find_capture(store, company, when, url)
    state, reason, version_id, target_id, document_id = store.query(
        "SELECT c.state, c.reason, c.version_id, c.target_id, t.document_id FROM captures c"
        " JOIN targets t ON t.id = c.target_id WHERE c.id = ?",
        (cid,),
    )[0]
    result = extract(*store.snapshot_content(digest), explain=True)
    out = CaptureText(company, curl, ts, digest, state, reason, version_id, result.verdict)
    out.left_out = [Left(d.reason, d.text, d.slot) for d in result.dropped]
    if not result.is_policy:
        out.left_out.insert(0, Left(f"the whole page: {result.reason}", "", "page"))
        return out
    learnt = {slot: Learnt(*row) for slot, row in store.template_chrome(document_id).get(target_id, {}).items()}
    kept = []
    for slot, line in lines_of(result.text, json.dumps(result.regions) if result.regions else None):
        if is_furniture(slot, line, learnt):
            x = learnt[slot]
            why = (f"changes on its own on this page (learnt from the captures {x.first_from} -> {x.first_to};"
                   " see learnt_chrome)")
            out.left_out.append(Left(why, line, slot))
        else:
            kept.append(line)
    out.text = "\n\n".join(kept)
    out.key = version_key(out.text)
    return out


def _short(text: str, n: int = 160) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def inspect_text(c: CaptureText) -> str:
    """The capture's text, then what was left out of it, for a terminal."""
    state = f"state: {c.state}" + (f" ({c.reason})" if c.reason else "")
    head = [f"{c.company}  {c.timestamp}  {c.url}", state + (f", version {c.version_id}" if c.version_id else "")]
    if c.key:
        head.append(f"version key: {c.key[:12]} (the words of the text below, without layout)")
    parts = ["\n".join(head), "", c.text or "(no policy text)", "", f"Left out ({len(c.left_out)}):"]
    for x in c.left_out:
        parts.append(f"- {x.reason} [{x.where}]" + (f": {_short(x.text)}" if x.text else ""))
    return printable("\n".join(parts))


def compare_captures(a: CaptureText, b: CaptureText) -> dict:
    """The text-level difference between two captures' policy texts, and whether the key saw one."""
    lines = list(difflib.unified_diff(a.text.split("\n\n"), b.text.split("\n\n"), lineterm="", n=0))[2:]
    same_words = bool(a.key) and key_text(a.text) == key_text(b.text)
    left_a = {(x.reason, x.text) for x in a.left_out}
    left_b = {(x.reason, x.text) for x in b.left_out}
    return {
        "from": a.as_dict(),
        "to": b.as_dict(),
        # derive's verdict when it linked both (a redesign's lines, undecodable bytes: one version, two keys)
        "same_version": bool(a.key) and bool(b.key)
        and (a.version_id == b.version_id if a.version_id and b.version_id else a.key == b.key),
        "same_words": same_words,
        "text_diff": [line for line in lines if not line.startswith("@@")],
        "left_out_only_before": [{"reason": r, "text": t} for r, t in sorted(left_a - left_b)],
        "left_out_only_after": [{"reason": r, "text": t} for r, t in sorted(left_b - left_a)],
    }


def compare_text(d: dict) -> str:
    a, b = d["from"], d["to"]
    out = [f"{a['company']}: {a['timestamp']} ({a['url']}) -> {b['timestamp']} ({b['url']})"]
    if not (a["version_key"] and b["version_key"]):
        missing = [x for x in (a, b) if not x["version_key"]]
        out.append("; ".join(f"{x['timestamp']} holds no policy text ({x['verdict']})" for x in missing))
    elif d["same_version"] and not d["same_words"]:
        out.append(f"same version ({a['version_id']}): the words differ only by lines a redesign of the page brought")
        out.append("or took, or by undecodable bytes (see learnt_chrome, slot 'redesign …').")
    elif d["same_version"]:
        out.append(f"same version (key {a['version_key'][:12]}): the words are the same; what differs below is")
        out.append("layout or furniture, which the version key ignores.")
    else:
        out.append(f"different versions ({a['version_key'][:12]} -> {b['version_key'][:12]}): the words differ.")
    out += ["", "Text:"] + (d["text_diff"] or ["  (identical)"])
    for label, key in (("before", "left_out_only_before"), ("after", "left_out_only_after")):
        if d[key]:
            out += ["", f"Left out only {label}:"] + [f"- {x['reason']}: {_short(x['text'])}" for x in d[key]]
    return printable("\n".join(out))
