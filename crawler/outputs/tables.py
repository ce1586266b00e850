"""One way to print tabular results: ``--format table|csv|json|jsonl`` (table on a TTY).

Every value prints in every format: BLOBs as base64 text (standard alphabet, padded), and
numbers that JSON cannot hold (SQLite's infinities) as the strings ``"Infinity"`` and
``"-Infinity"``. Result columns with the same name are all kept (:func:`rows_as_dicts`).
"""

from __future__ import annotations

import base64
import csv
import json
import math
import sys

import click

FORMATS = ("table", "csv", "json", "jsonl")


def format_option(fn):
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="Output format for tables (default: table on a terminal, jsonl otherwise).",
    )(fn)


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique: a repeated name gets ``_2``, ``_3``, ... (skipping names already
    present), so that no column of a result is dropped when rows become dicts."""
    taken = set(names)
    seen: set[str] = set()
    out = []
    for name in names:
        if name in seen:
            n = 2
            while f"{name}_{n}" in taken or f"{name}_{n}" in seen:
                n += 1
            name = f"{name}_{n}"
        seen.add(name)
        out.append(name)
    return out


def rows_as_dicts(columns: list[str], rows: list[tuple]) -> list[dict]:
    names = unique_names(list(columns))
    return [dict(zip(names, row)) for row in rows]


def printable(value):
    """A value every format can print: bytes as base64 text, infinities as text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return "Infinity" if value > 0 else "-Infinity" if value < 0 else None
    return value


def emit_rows(rows: list[dict], fmt: str | None, stream=None) -> None:
    stream = stream or sys.stdout
    fmt = fmt or ("table" if stream.isatty() else "jsonl")
    rows = [{k: printable(v) for k, v in row.items()} for row in rows]
    if fmt == "json":
        stream.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "jsonl":
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        if rows:
            writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        stream.write(render_table(rows) + "\n")


def render_table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)"
    cols = list(rows[0])
    cells = [[str(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    numeric = [all(row[i].isdigit() for row in cells) for i in range(len(cols))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(cols), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)
