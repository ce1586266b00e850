"""Clause changes a reader recognises: kinds and positions of known edits of real policies (issue 15).

Edit histories are generated from the real policy texts in ../shared/realdata: each base text (the
first and the last version of each company) gets pairs of versions with 1 to 4 known operations (neighbouring
blocks in half of the pairs)
each -- add, remove, modify, cosmetic, move (plain or lightly edited), split and merge (with and
without a word changed), heading rename -- applied to blocks (paragraphs, list items, headings) of
every length, including blocks just under and over 300 characters (the sentence threshold of the
pre-change model). Each differ's rows are then scored against the operations:

- **kind**: the rows touching the operation's blocks are exactly one row, of the expected kind
  (a heading rename is a ``modified`` heading; a cosmetic edit, split or merge must be flagged cosmetic);
- **position**: that row's old and new positions cover exactly the operation's blocks;
- **precision**: share of rows that touch a block some operation changed.

Companies are split in two halves: the model was tuned on the first ("tuned") only; the second
("held out") is reported beside it. Also measured in the same run: the difflib baseline (SequenceMatcher
over paragraphs, a 1:k replace read as a split, k:1 as a merge, 1:1 as modified), the pre-change model
(loaded from git at ``BASE_COMMIT``), chrome-only HTML captures (OTA snapshots whose text did not
change: no rows expected), real ``format_only`` version pairs (every row should be cosmetic), and the
time per real consecutive version pair.

    .venv/bin/python bench/bench_clauses.py [--seed N] [--per-op N]
"""

from __future__ import annotations

import argparse
import csv
import difflib
import random
import re
import statistics
import subprocess
import sys
import time
import types
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import git_rev, machine, table, today  # noqa: E402
from crawler.diff.align import canonical, diff_clauses  # noqa: E402
from crawler.diff.clauses import segment  # noqa: E402
from crawler.diff.taxonomy import load_taxonomy, tag_clauses  # noqa: E402

SHARED = ROOT.parent / "shared" / "realdata"
BASE_COMMIT = "67b9fd2"  # the clause model before issue 15 (sentences for paragraphs over 300 characters)
TEXT_KINDS = ("version_md", "wayback_text", "official_archive_text")
OPS = ("add", "remove", "modify", "cosmetic", "move", "split", "merge", "heading")
EXPECTED_KIND = {
    "add": "added",
    "remove": "removed",
    "modify": "modified",
    "cosmetic": "modified",
    "move": "moved",
    "split": "split",
    "merge": "merged",
    "heading": "modified",
}
# block lengths (characters) an operation is applied at: short, medium, just under and just over 300, long
BINS = ((0, 120), (120, 280), (280, 300), (300, 320), (320, 700), (700, 100_000))
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]”\"][.!?])\s+(?=[A-Z“\"(])")
_WORD = re.compile(r"[A-Za-z]{4,}")
_HEADING = re.compile(r"^(#{1,6}\s+\S|\*\*[^*]{1,150}\*\*:?$)")
_ITEM = re.compile(r"^\s*(?:[-*•]|\(?[0-9]{1,3}[.)]|\(?[a-z][.)])\s+")
FILLER = (
    "and our affiliates",
    "where the law allows it",
    "for a limited period",
    "including your device identifiers",
    "with your consent",
    "as described below",
)


# --------------------------------------------------------------------------- corpus


def base_texts() -> dict[str, list[str]]:
    """Per company, the first and last text versions (those long enough to edit)."""
    by = defaultdict(list)
    for row in csv.DictReader(open(SHARED / "manifest.csv", encoding="utf-8")):
        if row["kind"] in TEXT_KINDS:
            by[row["company"]].append(row)
    out = {}
    for company, rows in sorted(by.items()):
        rows.sort(key=lambda r: r["timestamp"])
        picks = [rows[0], rows[-1]] if len(rows) > 1 else rows
        out[company] = [(SHARED / r["file"]).read_text(encoding="utf-8") for r in picks]
    return out


def halves(companies: list[str]) -> tuple[list[str], list[str]]:
    """Alternate companies in name order: the first half tunes, the second is held out."""
    ordered = sorted(companies)
    return ordered[0::2], ordered[1::2]


# --------------------------------------------------------------------------- generated edits


@dataclass
class Op:
    name: str
    old: list[int]  # old block indexes
    new: list[int] = field(default_factory=list)  # new block indexes (filled when the new text is built)
    cosmetic: bool = False
    length: int = 0
    heading: bool = False
    edited: bool = False


def blocks_of(text: str) -> tuple[list[str], str]:
    lines = [line.rstrip() for line in text.split("\n") if line.strip()]
    return lines, ("\n\n" if "\n\n" in text else "\n")


def is_heading(block: str) -> bool:
    return bool(_HEADING.match(block.strip()))


def is_paragraph(block: str) -> bool:
    return not is_heading(block) and not _ITEM.match(block) and "|" not in block and len(_WORD.findall(block)) >= 4


def sentences(block: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(block) if s]


def length_bin(n: int) -> int:
    return next(i for i, (lo, hi) in enumerate(BINS) if lo <= n < hi)


def edit_words(block: str, rng: random.Random, donors: list[str] | None = None) -> str:
    """A substantive edit: a word replaced, a phrase inserted, a few words dropped, or (given donor
    paragraphs) a sentence added or one of several sentences replaced."""
    words = list(_WORD.finditer(block))
    how = rng.randrange(5 if donors else 3)
    if how >= 3:
        donor = rng.choice(sentences(rng.choice(donors)))
        parts = sentences(block)
        if how == 4 and len(parts) >= 3:
            parts[rng.randrange(len(parts))] = donor
        else:
            parts.insert(rng.randrange(len(parts) + 1), donor)
        return " ".join(parts)
    if how == 0 and words:
        m = rng.choice(words)
        return block[: m.start()] + rng.choice(["partners", "vendors", "advertisers", "affiliates"]) + block[m.end() :]
    if how == 1 or len(words) < 6:
        m = rng.choice(words) if words else None
        at = m.end() if m else len(block)
        return block[:at] + " " + rng.choice(FILLER) + block[at:]
    k = rng.randrange(len(words) - 3)
    return block[: words[k].start()] + block[words[k + 2].start() :]


def edit_cosmetic(block: str, rng: random.Random) -> str:
    """A change of punctuation, case, spacing or a number only."""
    choices = []
    if re.search(r"\d", block):
        choices.append(lambda b: re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), b, count=1))
    if "," in block:
        choices.append(lambda b: b.replace(",", "", 1))
    words = list(_WORD.finditer(block))
    if words:
        m = rng.choice(words)
        choices.append(lambda b, m=m: b[: m.start()] + m.group().swapcase() + b[m.end() :])
    choices.append(lambda b: b.replace(" ", "  ", 1) if " " in b else b + ".")
    choices.append(lambda b: b.rstrip(".") + ";" if b.endswith(".") else b + ".")
    out = rng.choice(choices)(block)
    return out if out != block else block + "."


def rename_heading(block: str, rng: random.Random) -> str:
    words = list(_WORD.finditer(block))
    if words and rng.random() < 0.6:
        m = rng.choice(words)
        return block[: m.start()] + rng.choice(["Sharing", "Personal", "Overview", "Choices"]) + block[m.end() :]
    return block.rstrip("*: ") + (" and Your Choices**" if block.strip().endswith("**") else " and Your Choices")


def make_pair(blocks: list[str], sep: str, ops_wanted: list[tuple[str, int]], rng: random.Random, donors: list[str]):
    """Apply operations (name, target block) to ``blocks``; returns old text, new text and the Ops."""
    ops: list[Op] = []
    claimed: set[int] = set()

    adjacent = rng.random() < 0.5  # half of the pairs have operations on neighbouring blocks

    def free(*idx: int) -> bool:
        near = (lambda i: {i}) if adjacent else (lambda i: {i - 1, i, i + 1})
        return all(0 <= i < len(blocks) and not (near(i) & claimed) for i in idx)

    new_at: dict[int, list[tuple[str, Op | None]]] = {}  # old index -> what replaces it, in order
    inserted_after: dict[int, list[tuple[str, Op]]] = defaultdict(list)
    for name, i in ops_wanted:
        block = blocks[i]
        if name == "merge":
            k = 3 if rng.random() < 0.25 and i + 2 < len(blocks) and is_paragraph(blocks[i + 2]) else 2
            group = list(range(i, i + k))
            if not free(*group):
                continue
            op = Op(name, group, length=sum(len(blocks[g]) + 1 for g in group) - 1)
            merged = " ".join(blocks[g] for g in group)
            op.edited = rng.random() < 0.3
            if op.edited:
                merged = edit_words(merged, rng)
            op.cosmetic = not op.edited
            new_at[i] = [(merged, op)]
            for g in group[1:]:
                new_at[g] = []
            claimed.update(group)
        elif name == "move":
            # to another place at least 4 blocks away (usually another section)
            targets = [j for j in range(len(blocks)) if abs(j - i) >= 4 and free(j) and j not in claimed]
            if not free(i) or not targets:
                continue
            j = rng.choice(targets)
            op = Op(name, [i], length=len(block))
            op.edited = rng.random() < 0.4
            moved = edit_words(block, rng) if op.edited and len(_WORD.findall(block)) >= 12 else block
            op.edited = moved != block
            op.cosmetic = not op.edited
            new_at[i] = []
            inserted_after[j].append((moved, op))
            claimed.update([i, j])
        else:
            if not free(i):
                continue
            op = Op(name, [i], length=len(block), heading=name == "heading")
            claimed.add(i)
            if name == "add":
                op.old = []
                inserted_after[i].append((rng.choice(donors), op))
            elif name == "remove":
                new_at[i] = [("", op)]
            elif name == "modify":
                new_at[i] = [(edit_words(block, rng, donors), op)]
            elif name == "cosmetic":
                op.cosmetic = True
                new_at[i] = [(edit_cosmetic(block, rng), op)]
            elif name == "heading":
                new_at[i] = [(rename_heading(block, rng), op)]
            elif name == "split":
                parts = sentences(block)
                cuts = sorted(rng.sample(range(1, len(parts)), min(len(parts) - 1, rng.choice((1, 1, 1, 2)))))
                pieces = [" ".join(parts[a:b]) for a, b in zip([0, *cuts], [*cuts, len(parts)])]
                op.edited = rng.random() < 0.3
                if op.edited:
                    k = rng.randrange(len(pieces))
                    pieces[k] = edit_words(pieces[k], rng)
                op.cosmetic = not op.edited
                new_at[i] = [(p, op) for p in pieces]
        ops.append(op)
    new_blocks: list[str] = []
    for i, block in enumerate(blocks):
        for text, op in new_at.get(i, [(block, None)]):
            if op is not None and op.name == "remove":
                continue
            if op is not None:
                op.new.append(len(new_blocks))
            new_blocks.append(text)
        for text, op in inserted_after.get(i, []):
            op.new.append(len(new_blocks))
            new_blocks.append(text)
    for op in ops:
        if op.name == "remove":
            op.new = []
    return sep.join(blocks), sep.join(new_blocks), ops, blocks, new_blocks


def candidates(blocks: list[str]) -> dict[str, dict[int, list[int]]]:
    """Per operation, per length bin, the blocks it can be applied to."""
    out: dict[str, dict[int, list[int]]] = {op: defaultdict(list) for op in OPS}
    for i, b in enumerate(blocks):
        n = length_bin(len(b))
        words = len(_WORD.findall(b))
        if words >= 3:
            out["add"][n].append(i)
            out["remove"][n].append(i)
            out["modify"][n].append(i)
            out["cosmetic"][n].append(i)
            out["move"][n].append(i)
        if is_paragraph(b) and len(sentences(b)) >= 2:
            out["split"][n].append(i)
        if i + 1 < len(blocks) and is_paragraph(b) and is_paragraph(blocks[i + 1]):
            out["merge"][length_bin(len(b) + len(blocks[i + 1]) + 1)].append(i)
        if is_heading(b) and i + 1 < len(blocks) and not is_heading(blocks[i + 1]) and words >= 1:
            out["heading"][n].append(i)
    return out


def generate(texts: dict[str, list[str]], per_op: int, seed: int) -> list[tuple[str, str, str, list[Op], list, list]]:
    """(company, old text, new text, ops, old blocks, new blocks) for every generated pair."""
    rng = random.Random(seed)
    donors = [b for ts in texts.values() for t in ts for b in blocks_of(t)[0] if is_paragraph(b)]
    pairs = []
    for company, versions in texts.items():
        for text in versions:
            blocks, sep = blocks_of(text)
            if len(blocks) < 12:
                continue
            cands = candidates(blocks)
            work = [(op, idx) for op in OPS for b in cands[op].values() for idx in rng.sample(b, min(per_op, len(b)))]
            rng.shuffle(work)
            while work:
                k = rng.choice((1, 1, 2, 3, 4))
                chunk, work = work[:k], work[k:]
                old, new, ops, ob, nb = make_pair(blocks, sep, chunk, rng, donors)
                if ops and old != new:
                    pairs.append((company, old, new, ops, ob, nb))
    return pairs


# --------------------------------------------------------------------------- differs under test


@dataclass
class Row:
    kind: str
    old_blocks: set[int]
    new_blocks: set[int]
    cosmetic: bool
    heading: bool


def block_of_offsets(blocks: list[str], sep: str) -> list[tuple[int, int]]:
    spans, at = [], 0
    for b in blocks:
        spans.append((at, at + len(b)))
        at += len(b) + len(sep)
    return spans


def clause_blocks(clauses, block_spans: list[tuple[int, int]]) -> list[set[int]]:
    """For each clause, the blocks its characters fall in."""
    out, at = [], 0
    starts = [s for s, _ in block_spans]
    import bisect

    for c in clauses:
        lo, hi = at, at + len(c.text)
        at = hi + len(c.sep)
        if hi == lo:
            out.append(set())
            continue
        first = max(0, bisect.bisect_right(starts, lo) - 1)
        last = max(0, bisect.bisect_right(starts, hi - 1) - 1)
        out.append({k for k in range(first, last + 1) if block_spans[k][1] > lo and block_spans[k][0] < hi})
    return out


def run_model(seg, diff, old: str, new: str, ob: list[str], nb: list[str], sep: str) -> list[Row]:
    so, sn = seg(old), seg(new)
    d = diff(so, sn)
    bo, bn = clause_blocks(so, block_of_offsets(ob, sep)), clause_blocks(sn, block_of_offsets(nb, sep))
    rows = []
    for c in d.changes:
        olds = set().union(*(bo[p] for p in c.old_positions)) if c.old_positions else set()
        news = set().union(*(bn[p] for p in c.new_positions)) if c.new_positions else set()
        heading = any(so[p].kind == "heading" for p in c.old_positions) or any(
            sn[p].kind == "heading" for p in c.new_positions
        )
        rows.append(Row(c.kind, olds, news, c.significance == "cosmetic", heading))
    return rows


def run_difflib(old: str, new: str, ob: list[str], nb: list[str], sep: str) -> list[Row]:
    """The baseline: difflib over paragraphs; a replace is modified, split or merged by its shape."""
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ob, nb, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "delete":
            rows += [Row("removed", {i}, set(), False, False) for i in range(i1, i2)]
        elif tag == "insert":
            rows += [Row("added", set(), {j}, False, False) for j in range(j1, j2)]
        else:
            olds, news = list(range(i1, i2)), list(range(j1, j2))

            def cosmetic(a, b):
                return canonical(" ".join(ob[i] for i in a)) == canonical(" ".join(nb[j] for j in b))

            if len(olds) == 1 and len(news) > 1:
                rows.append(Row("split", set(olds), set(news), cosmetic(olds, news), False))
            elif len(olds) > 1 and len(news) == 1:
                rows.append(Row("merged", set(olds), set(news), cosmetic(olds, news), False))
            else:
                for a, b in zip(olds, news):
                    rows.append(Row("modified", {a}, {b}, cosmetic([a], [b]), False))
                rows += [Row("removed", {i}, set(), False, False) for i in olds[len(news) :]]
                rows += [Row("added", set(), {j}, False, False) for j in news[len(olds) :]]
    return rows


def legacy_model():
    """The pre-change segmenter and differ, loaded from git (``BASE_COMMIT``)."""

    def load(name: str, path: str, replace: dict[str, str]) -> types.ModuleType:
        src = subprocess.run(
            ["git", "show", f"{BASE_COMMIT}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        for a, b in replace.items():
            src = src.replace(a, b)
        mod = types.ModuleType(name)
        mod.__dict__["__name__"] = name
        sys.modules[name] = mod
        exec(compile(src, path, "exec"), mod.__dict__)
        return mod

    clauses = load("legacy_clauses", "crawler/diff/clauses.py", {})
    align = load("legacy_align", "crawler/diff/align.py", {"crawler.diff.clauses": "legacy_clauses"})
    return clauses.segment, align.diff_clauses


# --------------------------------------------------------------------------- scoring


def touches(row: Row, op: Op) -> bool:
    return bool(row.old_blocks & set(op.old)) or bool(row.new_blocks & set(op.new))


def score(pairs, runner, show: int = 0) -> dict:
    per_op: dict[str, list[bool]] = defaultdict(list)
    per_bin: dict[int, list[bool]] = defaultdict(list)
    position: list[bool] = []
    cosmetic: list[bool] = []
    rows_true = rows_all = 0
    for _company, old, new, ops, ob, nb in pairs:
        sep = "\n\n" if "\n\n" in old else "\n"
        rows = runner(old, new, ob, nb, sep)
        rows_all += len(rows)
        rows_true += sum(any(touches(r, op) for op in ops) for r in rows)
        for op in ops:
            mine = [r for r in rows if touches(r, op)]
            right = (
                len(mine) == 1
                and mine[0].kind == EXPECTED_KIND[op.name]
                and (mine[0].cosmetic or not op.cosmetic)
                and (op.name != "heading" or mine[0].heading)
            )
            per_op[op.name].append(right)
            if not right and show > 0:
                show -= 1
                print(f"--- {op} (expected {EXPECTED_KIND[op.name]})")
                for r in mine:
                    print("   ", r)
                for i in op.old:
                    print("   old:", ob[i][:300])
                for j in op.new:
                    print("   new:", nb[j][:300])
            per_bin[length_bin(op.length)].append(right)
            position.append(right and mine[0].old_blocks == set(op.old) and mine[0].new_blocks == set(op.new))
            if op.cosmetic:
                cosmetic.append(len(mine) >= 1 and all(r.cosmetic for r in mine))
    every = [x for v in per_op.values() for x in v]
    return {
        "ops": len(every),
        "kind": sum(every) / len(every),
        "per_op": {k: sum(v) / len(v) for k, v in per_op.items()},
        "per_bin": {k: (sum(v) / len(v), len(v)) for k, v in per_bin.items()},
        "position": sum(position) / len(position),
        "precision": rows_true / rows_all if rows_all else 1.0,
        "rows": rows_all,
        "cosmetic": sum(cosmetic) / len(cosmetic) if cosmetic else 1.0,
    }


def best_of(n: int, run, *args, **kwargs) -> tuple[float, float]:
    """The best of ``n`` runs: (CPU seconds of this process, wall seconds). The machine is shared:
    CPU time is what the diff costs, wall time also what other processes took from it."""
    cpu = wall = float("inf")
    for _ in range(n):
        c0, w0 = time.process_time(), time.perf_counter()
        run(*args, **kwargs)
        cpu, wall = min(cpu, time.process_time() - c0), min(wall, time.perf_counter() - w0)
    return cpu, wall


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def real_pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Consecutive text versions of every company, and those marked ``format_only``."""
    by = defaultdict(list)
    for row in csv.DictReader(open(SHARED / "manifest.csv", encoding="utf-8")):
        if row["kind"] in TEXT_KINDS:
            by[row["company"]].append(row)
    pairs, formatting = [], []
    for rows in by.values():
        rows.sort(key=lambda r: r["timestamp"])
        texts = [(SHARED / r["file"]).read_text(encoding="utf-8") for r in rows]
        for (a, b), r in zip(zip(texts, texts[1:]), rows[1:]):
            if a != b:
                pairs.append((a, b))
                if "format_only" in r["noise_hint"]:
                    formatting.append((a, b))
    return pairs, formatting


def chrome_only_pairs() -> tuple[list[tuple[str, str]], int]:
    """Each HTML snapshot whose text OTA saw unchanged, beside the snapshot that made the version in
    force then (the latest earlier one that recorded a version). A side the extractor finds no
    policy in makes no version, so no diff: it is left out."""
    from crawler.extract.page import extract

    by = defaultdict(list)
    for row in csv.DictReader(open(SHARED / "manifest.csv", encoding="utf-8")):
        if row["kind"] == "snapshot_html":
            by[row["company"]].append(row)
    out, no_policy = [], 0
    for rows in by.values():
        rows.sort(key=lambda r: r["timestamp"])
        for k, row in enumerate(rows):
            if "no_version_recorded" not in row["noise_hint"]:
                continue
            made = [r for r in rows[:k] if r["snapshot_ref"].startswith("version")]
            if not made:
                continue
            texts = [extract((SHARED / r["file"]).read_bytes(), "text/html").text for r in (made[-1], row)]
            if all(t.strip() for t in texts):
                out.append((texts[0], texts[1]))
            else:
                no_policy += 1
    return out, no_policy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--per-op", type=int, default=3, help="operations per kind, length bin and base text")
    ap.add_argument("--show-failures", type=int, default=0, help="print this many misses (tuned companies only)")
    ap.add_argument("--only-ours", action="store_true", help="leave out the baselines (quicker, while tuning)")
    args = ap.parse_args()
    texts = base_texts()
    tuned, held = halves(list(texts))
    pairs = generate(texts, args.per_op, args.seed)
    taxonomy = load_taxonomy()
    legacy_segment, legacy_diff = legacy_model()
    differs = {
        "policytrail (this commit)": lambda o, n, ob, nb, sep: run_model(
            segment, lambda a, b: diff_clauses(a, b, taxonomy=taxonomy), o, n, ob, nb, sep
        ),
        f"pre-change model ({BASE_COMMIT})": lambda o, n, ob, nb, sep: run_model(
            legacy_segment, lambda a, b: legacy_diff(a, b, taxonomy=taxonomy), o, n, ob, nb, sep
        ),
        "difflib on paragraphs": run_difflib,
    }
    if args.only_ours:
        differs = dict(list(differs.items())[:1])
    results = {}
    for name, runner in differs.items():
        for half, companies in (("tuned", tuned), ("held out", held)):
            show = args.show_failures if half == "tuned" and name.startswith("policytrail") else 0
            results[(name, half)] = score([p for p in pairs if p[0] in companies], runner, show)
    ops_count = Counter(op.name for p in pairs for op in p[3])
    print(f"### Known edits of real policies ({today()}, commit {git_rev()})\n\nMachine: {machine()}\n")
    print(
        f"{len(pairs)} generated version pairs, {sum(ops_count.values())} operations "
        f"({', '.join(f'{k} {v}' for k, v in sorted(ops_count.items()))}), seed {args.seed}, from "
        f"{len(texts)} companies' first and last versions. Tuned on: {', '.join(tuned)}. "
        f"Held out: {', '.join(held)}.\n"
    )
    rows = []
    for (name, half), r in results.items():
        rows.append(
            {
                "differ": name,
                "companies": half,
                "ops": r["ops"],
                "right kind": f"{r['kind']:.1%}",
                **{op: f"{r['per_op'].get(op, 0):.0%}" for op in OPS},
                "position": f"{r['position']:.1%}",
                "precision": f"{r['precision']:.1%}",
                "cosmetic flagged": f"{r['cosmetic']:.0%}",
            }
        )
    print(table(rows))
    print("\nRight kind by length of the edited block (characters), this commit / pre-change model, all companies:\n")
    brows = []
    for k, (lo, hi) in enumerate(BINS):
        cells = {"block length": f"{lo}–{hi if hi < 100_000 else '…'}"}
        for name in [n for n in differs if not n.startswith("difflib")]:
            both = [results[(name, h)]["per_bin"].get(k, (0, 0)) for h in ("tuned", "held out")]
            n = sum(c for _, c in both)
            cells[name.split(" (")[0]] = f"{sum(v * c for v, c in both) / n:.0%} of {n}" if n else "–"
        brows.append(cells)
    print(table(brows))

    # chrome-only captures, real formatting-only pairs, speed on real pairs
    chrome, no_policy = chrome_only_pairs()
    chrome_rows = sum(len(diff_clauses(segment(a), segment(b), taxonomy=taxonomy).changes) for a, b in chrome)
    real, formatting = real_pairs()
    fmt_rows = [c for a, b in formatting for c in diff_clauses(segment(a), segment(b), taxonomy=taxonomy).changes]
    segs: dict[str, list] = {}
    for a, b in real:
        for t in (a, b):
            if t not in segs:
                segs[t] = tag_clauses(segment(t), taxonomy)
    times, fallbacks = [], 0
    legacy_times = []
    legacy_segs = {t: tag_clauses(legacy_segment(t), taxonomy) for t in segs}
    for a, b in real:  # each pair timed as the best of 3 runs: the machine is shared
        d = diff_clauses(segs[a], segs[b], taxonomy=taxonomy)
        fallbacks += bool(d.fallbacks)
        times.append(best_of(3, diff_clauses, segs[a], segs[b], taxonomy=taxonomy))
        legacy_times.append(best_of(3, legacy_diff, legacy_segs[a], legacy_segs[b], taxonomy=taxonomy))
    print(
        f"\nChrome-only captures: {len(chrome)} pairs of OTA HTML snapshots whose text OTA saw unchanged, "
        f"{sum(a == b for a, b in chrome)} extracted to the same text, {chrome_rows} rows ({no_policy} more where "
        f"policytrail's extractor finds no policy on one side: no version, so no diff). "
        f"Real `format_only` version pairs: {len(formatting)}, "
        f"{sum(c.significance == 'cosmetic' for c in fmt_rows)} of {len(fmt_rows)} rows cosmetic.\n"
    )
    def figures(pairs: list[tuple[float, float]]) -> str:
        cpu, wall = [c for c, _ in pairs], [w for _, w in pairs]
        return (
            f"CPU median {statistics.median(cpu) * 1000:.1f} ms, p95 {pct(cpu, 0.95) * 1000:.1f} ms, max "
            f"{max(cpu) * 1000:.0f} ms (wall: median {statistics.median(wall) * 1000:.1f} ms, p95 "
            f"{pct(wall, 0.95) * 1000:.1f} ms)"
        )

    print(
        f"Speed on {len(real)} real consecutive version pairs (clauses stored; best of 3 runs per pair): "
        f"this commit {figures(times)}, {fallbacks} pairs flagged a fallback; pre-change model {figures(legacy_times)}."
    )


if __name__ == "__main__":
    main()
