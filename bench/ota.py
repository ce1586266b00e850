"""Open Terms Archive's dating histories (bench/data/ota) as a judged test set.

Each company's HTML snapshots, in time order, are judged pair by pair against the versions OTA
recorded from them:

* **change** -- the later snapshot's version differs from the earlier one's and at least one OTA
  version in between is a substantive one (``commit_type`` first/change, no ``format_only`` or
  ``dates_or_numbers_only`` hint);
* **no change** -- both snapshots produced the same OTA version (OTA recorded none: the HTML
  changed while the text did not);
* **don't care** -- only format-only, date-only, refilter or upgrade versions in between; the
  later snapshot points at an older version (OTA re-extracted an old snapshot); or the two
  versions differ only in e-mail links (Cloudflare's obfuscation, ``[email protected]``, which
  OTA records as a change each time it flips and policytrail decodes); or the two versions differ
  only in lines that are nothing but a link (call-to-action and navigation links such as HER's
  "[Download HER now](…)" inserted between paragraphs in 2024-05: page furniture, not policy
  words -- policytrail's html-3 leaves link-only blocks out, OTA's selectors kept them).
"""

from __future__ import annotations

import csv
import gzip
import math
import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "ota"
COMPANIES = ("bumble", "hily", "happn", "her", "match")
NOT_SUBSTANTIVE = ("format_only", "dates_or_numbers_only")


@dataclass(frozen=True)
class Snapshot:
    company: str
    url: str
    timestamp: str
    path: Path
    version: str | None  # the OTA version in force when the snapshot was taken

    def body(self) -> bytes:
        return gzip.decompress(self.path.read_bytes())


@dataclass(frozen=True)
class Pair:
    before: Snapshot
    after: Snapshot
    label: str  # "change" | "no change" | "don't care"


def _manifest(data: Path) -> list[dict]:
    with open(data / "manifest.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def load(data: Path = DATA, companies: tuple[str, ...] = COMPANIES) -> dict[str, list[Pair]]:
    rows = _manifest(data)
    pairs: dict[str, list[Pair]] = {}
    for company in companies:
        versions = sorted(
            (r for r in rows if r["company"] == company and r["kind"] == "version_md"), key=lambda r: r["timestamp"]
        )
        by_ts = {v["timestamp"]: v for v in versions}
        snaps = sorted(
            (r for r in rows if r["company"] == company and r["kind"] == "snapshot_html"), key=lambda r: r["timestamp"]
        )
        snapshots: list[Snapshot] = []
        for r in snaps:
            ref = r["snapshot_ref"].removeprefix("version ").strip() if r["snapshot_ref"].startswith("version") else ""
            if ref:
                version = ref
            elif r["timestamp"] in by_ts:  # OTA stamps a version with the time of its snapshot
                version = r["timestamp"]
            elif snapshots:  # "no version recorded (text unchanged)": the previous snapshot's version
                version = snapshots[-1].version
            else:  # the version in force at that time
                earlier = [v["timestamp"] for v in versions if v["timestamp"] <= r["timestamp"]]
                version = earlier[-1] if earlier else None
            snapshots.append(Snapshot(company, r["url"], r["timestamp"], data / (r["file"] + ".gz"), version))
        out = []
        for a, b in zip(snapshots, snapshots[1:]):
            if a.version is None or b.version is None:
                continue
            if a.version == b.version:
                label = "no change"
            elif b.version < a.version:  # an upgrade/refilter re-extraction stamped with an older date
                label = "don't care"
            else:
                between = [v for ts, v in by_ts.items() if a.version < ts <= b.version]
                substantive = any(
                    v["commit_type"] in ("first", "change") and v["noise_hint"] not in NOT_SUBSTANTIVE for v in between
                )
                label = "change" if substantive else "don't care"
                if label == "change" and _masked(data, company, a.version) == _masked(data, company, b.version):
                    label = "don't care"  # Cloudflare's e-mail obfuscation flipping, or link-only lines
            out.append(Pair(a, b, label))
        pairs[company] = out
    return pairs


_LINK_LINE = re.compile(r"^\[[^\]]*\]\([^)]*\)[ \t]*$", re.M)
_EMAIL = re.compile(r"\[(\\\[email(&nbsp;|\s)protected\\\]|[^\]\s]+@[^\]\s]+)\]\([^)]*\)")


def _masked(data: Path, company: str, version: str) -> str | None:
    """A version's text with every e-mail link, obfuscated or not, replaced by one token, and
    without lines that are only a link; blank-line runs collapsed."""
    path = data / company / f"{version}.md.gz"
    if not path.exists():
        return None
    text = _EMAIL.sub("<email>", gzip.decompress(path.read_bytes()).decode("utf-8"))
    return re.sub(r"\n{3,}", "\n\n", _LINK_LINE.sub("", text)).strip()


def snapshots(pairs: dict[str, list[Pair]]) -> dict[str, list[Snapshot]]:
    """Every snapshot once, per company, in time order."""
    out = {}
    for company, ps in pairs.items():
        seen: dict[str, Snapshot] = {}
        for p in ps:
            seen.setdefault(p.before.timestamp, p.before)
            seen.setdefault(p.after.timestamp, p.after)
        out[company] = [seen[ts] for ts in sorted(seen)]
    return out


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class Score:
    changes: int = 0  # pairs OTA says changed
    detected: int = 0  # ... where the method saw a change
    stable: int = 0  # pairs OTA says did not change
    false_changes: int = 0  # ... where the method saw a change
    dont_care: int = 0

    def add(self, label: str, changed: bool) -> None:
        if label == "change":
            self.changes += 1
            self.detected += changed
        elif label == "no change":
            self.stable += 1
            self.false_changes += changed
        else:
            self.dont_care += 1

    @property
    def recall(self) -> float:
        return self.detected / self.changes if self.changes else float("nan")

    @property
    def false_change_rate(self) -> float:
        return self.false_changes / self.stable if self.stable else float("nan")

    def cells(self) -> dict:
        r_lo, r_hi = wilson(self.detected, self.changes)
        f_lo, f_hi = wilson(self.false_changes, self.stable)
        return {
            "recall": f"{self.recall:.3f} ({self.detected}/{self.changes}) [{r_lo:.2f}, {r_hi:.2f}]",
            "false-change rate": f"{self.false_change_rate:.3f} ({self.false_changes}/{self.stable})"
            f" [{f_lo:.2f}, {f_hi:.2f}]",
            "don't care": self.dont_care,
        }


def judge(pairs: dict[str, list[Pair]], keys: dict[tuple[str, str], str | None]) -> dict[str, Score]:
    """Score per company (and ``overall``) for version keys per (company, timestamp).

    A ``None`` key is a snapshot the method refused (not a policy): the timeline goes on with the
    last version seen, as the crawl's does.
    """
    scores = {company: Score() for company in pairs}
    overall = Score()
    for company, ps in pairs.items():
        last = None
        for p in ps:
            before = keys[(company, p.before.timestamp)]
            last = before if before is not None else last
            after = keys[(company, p.after.timestamp)]
            changed = after is not None and after != last
            scores[company].add(p.label, changed)
            overall.add(p.label, changed)
    scores["overall"] = overall
    return scores
