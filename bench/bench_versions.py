"""Version identity on archive-like histories (issue 13): are version boundaries real policy changes?

Scores where the timeline says "new version" against known ground truth:

1. Synthetic archive-like histories (bench/histories.py): real policy texts in page templates
   whose chrome changes on its own schedule, with noise that is not a change and captures that are
   not the policy. Each site gets a fresh SQLite database filled as a crawl fills it (target,
   captures with CDX-like digests, one snapshot per digest), then ``crawler.derive.derive`` builds
   the timeline and ``captures.version_id`` is read back. Tuned template families
   (bench/histories.py) and held-out ones (bench/heldout_templates.py, another seed) are scored
   apart.
2. Per-capture baselines on the same bodies, in the same run: tag-stripped text,
   readability-lxml, trafilatura (each: text -> sha256 of whitespace-collapsed text) and
   policytrail's ``extract`` on each capture alone (key: ``version_key`` when the extractor has
   it, else ``text_hash``), versus the full derive (which may learn chrome across captures).
3. Open Terms Archive's judged snapshots (bench/data/ota, bench/ota.py), each extracted in order.
4. Throughput of ``extract`` + key on the synthetic bodies (snapshots/s, one core).

Counted over consecutive ground-truth policy captures of a site (a capture a method refuses
keeps the previous key, as the timeline does): true boundaries found (recall), false boundaries
(a boundary where the truth has none) as a share of all reported boundaries, sites with any false
boundary; and apart: non-policy captures given a version, policy captures refused.

    .venv/bin/python bench/bench_versions.py            # full run, a few minutes on one core
    .venv/bin/python bench/bench_versions.py --quick    # about a minute
    .venv/bin/python bench/bench_versions.py --write    # also (re)writes the section in docs/benchmarks.md
    .venv/bin/python bench/bench_versions.py --examples 12   # print leaked blocks behind false boundaries (tuned)

Targets (issue 13): synthetic false boundaries <= 1% of reported boundaries and recall >= 99%;
OTA recall 100% with no false change; extraction >= 100 snapshots/s.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version as pkg_version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from bench import more_templates, more_templates_3  # noqa: E402
from bench.common import git_rev, machine, table, today  # noqa: E402
from bench.histories import TEMPLATES, TUNED_SEED, Capture, Site, build_sites, load_histories  # noqa: E402
from crawler.archive import payload_digest  # noqa: E402
from crawler.derive import derive  # noqa: E402
from crawler.extract import EXTRACTOR_VERSION, extract  # noqa: E402
from crawler.extract import normalize as _normalize  # noqa: E402
from crawler.extract.page import decode_html  # noqa: E402
from crawler.store import Store  # noqa: E402

SECTION = "## Version identity on archive-like histories (issue 13)"
_WS = re.compile(r"\s+")
VERSION_KEY = getattr(_normalize, "version_key", None)


def _sha(text: str) -> str:
    return hashlib.sha256(_WS.sub(" ", text).strip().encode("utf-8")).hexdigest()


# -- per-capture methods: body -> key (None: refused, "not a policy") ---------------------------------------
def policytrail_key(body: bytes) -> str | None:
    result = extract(body, "text/html")
    if not result.is_policy:
        return None
    return VERSION_KEY(result.text) if VERSION_KEY else _normalize.text_hash(result.text, normalized=True)


def tag_stripped(body: bytes) -> str | None:
    root = lxml.html.document_fromstring(decode_html(body, "text/html"))
    for el in root.xpath("//script|//style|//noscript"):
        el.drop_tree()
    return _sha(root.text_content())


def readability(body: bytes) -> str | None:
    from readability import Document

    summary = Document(decode_html(body, "text/html")).summary()
    return _sha(lxml.html.document_fromstring(summary).text_content())


def trafilatura(body: bytes) -> str | None:
    import trafilatura as t

    text = t.extract(decode_html(body, "text/html"), include_tables=True)
    return _sha(text) if text else None


def _version(pkg: str) -> str:
    try:
        return pkg_version(pkg)
    except Exception:
        return "?"


KEY_NAME = "version_key" if VERSION_KEY else "text_hash"
METHODS = {
    "baseline: tag-stripped text": tag_stripped,
    f"readability-lxml {_version('readability-lxml')}": readability,
    f"trafilatura {_version('trafilatura')}": trafilatura,
    f"policytrail {EXTRACTOR_VERSION} extract per capture ({KEY_NAME})": policytrail_key,
}
DERIVE = f"policytrail {EXTRACTOR_VERSION} full derive (timeline)"


# -- scoring ------------------------------------------------------------------------------------------------
@dataclass
class Score:
    true_boundaries: int = 0
    found: int = 0
    reported: int = 0
    false: int = 0
    sites: int = 0
    sites_with_false: int = 0
    max_false_site: int = 0
    policy_captures: int = 0
    refused: int = 0
    nonpolicy: int = 0
    nonpolicy_versioned: int = 0
    false_pairs: list = field(default_factory=list)  # (site, capture before, capture after)
    causes: Counter = field(default_factory=Counter)  # false boundaries by what differs between the two captures
    missed: list = field(default_factory=list)  # (site, capture before, capture after)
    by_template: Counter = field(default_factory=Counter)  # false boundaries by the later capture's template

    def add_site(self, site: Site, keys: dict[str, str | None]) -> None:
        last_key, last_truth, last_cap, false_here = None, None, None, 0
        for c in site.captures:
            key = keys.get(c.timestamp)
            if not c.policy:
                self.nonpolicy += 1
                self.nonpolicy_versioned += key is not None
                continue
            self.policy_captures += 1
            self.refused += key is None
            if last_truth is not None:
                truth = c.version != last_truth
                said = key is not None and last_key is not None and key != last_key
                self.true_boundaries += truth
                self.found += truth and said
                if truth and not said:
                    self.missed.append((site, last_cap or c, c))
                self.reported += said
                if said and not truth:
                    false_here += 1
                    self.false_pairs.append((site, last_cap, c))
                    self.causes[cause(last_cap, c)] += 1
                    self.by_template[c.template] += 1
            last_truth = c.version
            if key is not None:
                last_key, last_cap = key, c
        self.sites += 1
        self.false += false_here
        self.sites_with_false += false_here > 0
        self.max_false_site = max(self.max_false_site, false_here)

    def cells(self) -> dict:
        rec = self.found / self.true_boundaries if self.true_boundaries else float("nan")
        share = self.false / self.reported if self.reported else 0.0
        return {
            "change recall": f"{rec:.3f} ({self.found}/{self.true_boundaries})",
            "false / reported boundaries": f"{share:.3f} ({self.false}/{self.reported})",
            "false per site: mean, max; sites with any": f"{self.false / max(1, self.sites):.1f}, "
            f"{self.max_false_site}; {self.sites_with_false}/{self.sites}",
            "non-policy given a version": f"{self.nonpolicy_versioned}/{self.nonpolicy}",
            "policy refused": f"{self.refused}/{self.policy_captures}",
        }


CAUSES = ("template switch", "list <-> paragraphs", "U+FFFD", "heading levels", "line breaks in paragraphs",
          "chrome only (same policy markup)")


def cause(a: Capture, b: Capture) -> str:
    """What the generator changed between two captures of one version (the first that applies, in CAUSES order)."""
    na, nb = a.noise, b.noise
    if a.template != b.template:
        return CAUSES[0]
    if na.lists_as_paragraphs != nb.lists_as_paragraphs:
        return CAUSES[1]
    if na.fffd or nb.fffd:
        return CAUSES[2]
    if na.heading_shift != nb.heading_shift:
        return CAUSES[3]
    if na.br_lines or nb.br_lines:
        return CAUSES[4]
    return CAUSES[5]


LEARNT: Counter = Counter()  # rows of the tables a cross-capture derive fills, over all sites


# -- the full derive, one fresh database per site -----------------------------------------------------------
def derive_keys(site: Site, work: Path) -> tuple[dict[str, str | None], dict[int, str]]:
    """Fill a database as a crawl does, derive, read each capture's version; also the versions' texts."""
    store = Store(work / f"{site.name}.db")
    tid = store.upsert_target(site.name, site.url, "privacy policy")
    for c in site.captures:
        digest = payload_digest(c.body)
        store.record_capture(target_id=tid, archive="web.archive.org", url=site.url, timestamp=c.timestamp,
                             statuscode="200", mimetype="text/html", digest=digest, length=len(c.body) // 3)
        if not store.has_snapshot(digest):
            store.store_snapshot(digest=digest, body=c.body, headers={"Content-Type": ["text/html; charset=utf-8"]},
                                 status=200, mimetype="text/html", fetched_url=f"{site.url}@{c.timestamp}",
                                 sha256=hashlib.sha256(c.body).hexdigest(), digest_ok=True,
                                 archive="web.archive.org", url=site.url, timestamp=c.timestamp)
    derive(store)
    rows = store.query("SELECT timestamp, version_id FROM captures")
    texts = dict(store.query("SELECT id, text FROM versions"))
    for table_name in ("layout_changes", "template_chrome"):  # what a derive with cross-capture learning records
        try:
            LEARNT[table_name] += store.query(f"SELECT count(*) FROM {table_name}")[0][0]
        except Exception:
            pass
    store.close()
    return {ts: (str(vid) if vid is not None else None) for ts, vid in rows}, texts


# -- running everything -------------------------------------------------------------------------------------
def run_family(sites: list[Site], work: Path, timing: dict) -> tuple[dict[str, Score], dict]:
    scores = {name: Score() for name in (*METHODS, DERIVE)}
    bodies: dict[str, bytes] = {}
    for s in sites:
        for c in s.captures:
            bodies.setdefault(payload_digest(c.body), c.body)
    per_method: dict[str, dict[str, str | None]] = {}
    for name, fn in METHODS.items():
        t0 = time.process_time()
        per_method[name] = {d: fn(b) for d, b in bodies.items()}
        timing[name] = timing.get(name, (0, 0.0))
        timing[name] = (timing[name][0] + len(bodies), timing[name][1] + time.process_time() - t0)
    derived = {}
    t0 = time.perf_counter()
    for s in sites:
        keys, texts = derive_keys(s, work)
        derived[s.name] = (keys, texts)
        scores[DERIVE].add_site(s, keys)
        for name in METHODS:
            scores[name].add_site(s, {c.timestamp: per_method[name][payload_digest(c.body)] for c in s.captures})
    timing["derive"] = timing.get("derive", 0.0) + time.perf_counter() - t0
    return scores, {"bodies": len(bodies), "derived": derived}


def leaked(score: Score, derived: dict, limit: int) -> list[tuple[str, str, list[str], list[str]]]:
    """Lines that differ between the two versions of a false boundary: what leaked.

    With ``limit``, that many examples taken in turn from each (template, cause)."""
    pairs = score.false_pairs
    if limit:
        groups: dict = {}
        for p in pairs:
            groups.setdefault((p[2].template, cause(p[1], p[2])), []).append(p)
        pairs = [p for rank in range(limit) for g in groups.values() if rank < len(g) for p in [g[rank]]][:limit]
    out = []
    for site, ca, cb in pairs:
        a, b, template = ca.timestamp, cb.timestamp, cb.template
        keys, texts = derived[site.name]
        ta, tb = texts.get(int(keys[a]), ""), texts.get(int(keys[b]), "")
        la, lb = ta.splitlines(), tb.splitlines()
        sa, sb = set(la), set(lb)
        gone = [x for x in la if x not in sb]
        came = [x for x in lb if x not in sa]
        out.append((f"{site.name} ({ca.template} -> {template}; {cause(ca, cb)}) {a} -> {b}", template, gone, came,
                    word_diff(ta, tb) if limit else []))
    return out


def word_diff(a: str, b: str, context: int = 4) -> list[str]:
    """The word-level differences of two texts (punctuation and markup marks dropped), with a little context."""
    wa, wb = re.findall(r"[^\W_]+", a), re.findall(r"[^\W_]+", b)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if op != "equal":
            left = " ".join(wa[max(0, i1 - context) : i1])
            out.append(f"...{left} [-{' '.join(wa[i1:i2])[:200]}-] [+{' '.join(wb[j1:j2])[:200]}+]")
    return out


def leaked_lines(score: Score, derived: dict) -> dict[str, Counter]:
    """Per template, the lines (digits masked) that differ across chrome-only false boundaries."""
    out: dict[str, Counter] = {}
    chrome_only = Score(false_pairs=[p for p in score.false_pairs if cause(p[1], p[2]) == CAUSES[-1]])
    for _, template, gone, came, _ in leaked(chrome_only, derived, 0):
        out.setdefault(template, Counter()).update({re.sub(r"\d", "9", x)[:90] for x in gone + came})
    return dict(sorted(out.items()))


def ota_rows() -> tuple[list[dict], int]:
    from bench.ota import judge, load, snapshots

    pairs = load()
    snaps = snapshots(pairs)
    bodies = {(s.company, s.timestamp): s.body() for ss in snaps.values() for s in ss}
    rows = []
    for name, fn in METHODS.items():
        keys = {k: fn(b) for k, b in bodies.items()}
        s = judge(pairs, keys)["overall"]
        rows.append({"method": name, **s.cells(), "refused": sum(v is None for v in keys.values())})
    return rows, len(bodies)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer, shorter sites (about a minute)")
    ap.add_argument("--write", action="store_true", help="write the section into docs/benchmarks.md")
    ap.add_argument("--examples", type=int, default=0, help="print N leaked-block examples (tuned families only)")
    ap.add_argument("--no-heldout", action="store_true", help="skip the held-out families")
    ap.add_argument("--reseed", type=int, default=0,
                    help="add N to the tuned generators' seeds: other tuned sites, same templates (no --write)")
    ap.add_argument("--only", choices=("tuned", "tuned-2", "tuned-3", "held-out", "held-out-2", "held-out-3"),
                    help="score one family alone (figures only)")
    args = ap.parse_args()

    histories = load_histories()
    n_tuned, n_tuned2, n_held, per_version = (
        (8, 5, 6, 3.0) if args.quick else (2 * len(histories), len(histories), len(histories), 6.0)
    )
    if args.reseed:
        args.write, args.no_heldout = False, True
        more_templates.SEED += args.reseed
        more_templates_3.SEED += args.reseed
    tuned = build_sites(histories, n_tuned, TUNED_SEED + args.reseed, TEMPLATES, "tuned", per_version)
    families = {"tuned": tuned, "tuned-2": more_templates.sites(histories, n_tuned2, per_version),
                "tuned-3": more_templates_3.sites(histories, n_tuned2, per_version)}
    held_names: list[str] = []
    if not args.no_heldout and args.only in (None, "held-out"):
        from bench import heldout_templates

        families["held-out"] = heldout_templates.sites(histories, n_held, per_version)
        held_names = list(heldout_templates.TEMPLATES)
    second = ROOT / "bench" / "heldout_templates_2.py"  # written by someone who never saw the extractor
    if not args.no_heldout and args.only in (None, "held-out-2") and second.exists():
        from bench import heldout_templates_2

        families["held-out-2"] = heldout_templates_2.sites(histories, n_held, per_version)
        held_names += list(heldout_templates_2.TEMPLATES)
    third = ROOT / "bench" / "heldout_templates_3.py"  # written by another who never saw the extractor
    if not args.no_heldout and args.only in (None, "held-out-3") and third.exists():
        from bench import heldout_templates_3

        families["held-out-3"] = heldout_templates_3.sites(histories, n_held, per_version)
        held_names += list(heldout_templates_3.TEMPLATES)
    if args.only:
        families = {args.only: families[args.only]}
    timing: dict = {}
    results = {}
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pt-versions-") as tmp:
        for fam, sites in families.items():
            LEARNT.clear()
            results[fam] = run_family(sites, Path(tmp), timing)
            results[fam][1]["learnt"] = dict(LEARNT)
    ota, n_ota = ota_rows()
    wall = time.perf_counter() - t_start

    out = [SECTION, "", f"### Version boundaries on archive-like histories ({today()}, commit {git_rev()})", "",
           f"Machine: {machine()}", ""]
    sizes = []
    for fam, sites in families.items():
        caps = [c for s in sites for c in s.captures]
        tmpl = sorted({t for s in sites for t in s.templates})
        sizes.append(f"**{fam}**: {len(sites)} sites, {len(caps)} captures ({sum(c.policy for c in caps)} policy, "
                     f"{results[fam][1]['bodies']} distinct bodies, {sum(len(c.body) for c in caps) / 2**20:.0f} MiB), "
                     + (f"templates {', '.join(tmpl)}" if fam.startswith("tuned")
                        else f"{len(tmpl)} template families"))
    out += [f"Corpus{' (--quick)' if args.quick else ''}: real texts from ../shared/realdata "
            f"({len(histories)} companies). " + "; ".join(sizes) + ".", "",
            "Counted over consecutive ground-truth policy captures; a refused capture keeps the previous key. "
            "`false / reported` is the share of reported boundaries with no policy change behind them.", ""]
    for fam in families:
        scores = results[fam][0]
        out += [f"#### {fam} template families", ""]
        out.append(table([{"method": name, **s.cells()} for name, s in scores.items()]))
        out.append("")
        if results[fam][1]["learnt"]:
            out += ["Rows the full derive recorded: " + ", ".join(
                f"`{k}` {v}" for k, v in sorted(results[fam][1]["learnt"].items())) + ".", ""]
    out += [f"#### Open Terms Archive histories ({n_ota} judged HTML snapshots, each extracted alone, in order)", ""]
    out.append(table(ota))
    rows = []
    for name in METHODS:
        n, secs = timing[name]
        rows.append({"method": name, "snapshots": n, "snapshots/s (one core, CPU time)": f"{n / secs:.0f}"})
    out += ["", "#### Throughput on the synthetic bodies", "", table(rows), "",
            f"Full derive (fresh database per site, all families): {timing['derive']:.1f} s. Whole run: {wall:.0f} s.",
            ""]
    out += ["#### False boundaries by what the generator changed between the two captures", "",
            "Same version on both sides; the first difference that applies, in this order. Chrome only: the "
            "policy was rendered identically, only the page around it moved.", ""]
    short = {name: name.split(" (")[0].replace(" extract per capture", " per capture") for name in (*METHODS, DERIVE)}
    rows = []
    for fam in families:
        for c in CAUSES:
            rows.append({"family": fam, "cause": c, **{short[m]: s.causes[c] for m, s in results[fam][0].items()}})
    out += [table(rows), ""]
    tuned_fams = [fam for fam in families if fam.startswith("tuned")]
    rows = [{"tuned template": f"{t} ({fam})", "policy captures": n,
             **{f"false: {short[m]}": results[fam][0][m].by_template[t] for m in (*METHODS, DERIVE)}}
            for fam in tuned_fams
            for t, n in sorted(Counter(c.template for s in families[fam] for c in s.captures if c.policy).items())]
    if rows:
        out += ["#### False boundaries per tuned template (the later capture's template)", "", table(rows), ""]
    text = "\n".join(out)
    print(text)
    for fam in tuned_fams if args.examples else ():
        print(f"\n#### Leaked lines behind false boundaries ({fam}, full derive)\n")
        for where, _, gone, came, words in leaked(results[fam][0][DERIVE], results[fam][1]["derived"],
                                                  args.examples):
            print(f"- {where}: {len(gone)} lines gone, {len(came)} came; words that differ:")
            for x in words[:5]:
                print(f"    {x}")
            if not words:
                print("    (none: only punctuation, markup marks or line breaks differ)")
                for x in (gone[:2] + came[:2]):
                    print(f"    line: {x[:160]!r}")
        print(f"\n#### Most frequent leaked lines in chrome-only false boundaries, per template ({fam}, full derive)\n")
        for template, lines in leaked_lines(results[fam][0][DERIVE], results[fam][1]["derived"]).items():
            print(f"- {template}: " + "; ".join(f"{x!r} x{n}" for x, n in lines.most_common(8)))
        missed = results[fam][0][DERIVE].missed
        print(f"\n#### Boundaries the full derive missed ({fam}): {len(missed)}\n")
        for site, ca, cb in missed[: args.examples]:
            print(f"- {site.name} ({ca.template} -> {cb.template}) {ca.timestamp} -> {cb.timestamp}")
    if held_names:
        print(f"\n(held-out families: {len(held_names)} templates; not shown by --examples)")
    if args.write:
        write_section(ROOT / "docs" / "benchmarks.md", text)


def write_section(path: Path, text: str, section: str = SECTION) -> None:
    """Put ``text`` (which starts with ``section``) in place of that section of ``path``, or first."""
    doc = path.read_text(encoding="utf-8")
    if section in doc:
        start = doc.index(section)
        nxt = doc.find("\n## ", start + len(section))
        doc = doc[:start] + text.rstrip() + "\n\n" + (doc[nxt + 1 :] if nxt != -1 else "")
    else:
        first = doc.find("\n## ")
        at = first + 1 if first != -1 else len(doc)
        doc = doc[:at] + text.rstrip() + "\n\n" + doc[at:]
    path.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
