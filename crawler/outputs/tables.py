"""One way to print tabular results: ``--format table|csv|json|jsonl`` (table on a TTY)."""

from __future__ import annotations

import csv
import json
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


def emit_rows(rows: list[dict], fmt: str | None, stream=None) -> None:
    stream = stream or sys.stdout
    fmt = fmt or ("table" if stream.isatty() else "jsonl")
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
