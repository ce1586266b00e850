"""Render clause diffs for people: terminal text (colour on a TTY), JSON, HTML.

Archived pages are attacker-controlled: HTML goes through Jinja2 with autoescape on.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .archive import ts_to_iso
from .diffing import ClauseDiff
from .history import Pair

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def diff_json(pair: Pair, diff: ClauseDiff) -> dict:
    def side(v):
        return {
            "version_id": v.version_id,
            "text_hash": v.text_hash,
            "in_force_from": ts_to_iso(v.start_ts),
            "last_seen": ts_to_iso(v.end_ts),
            "url": v.first_url,
            "extractor": v.extractor,
        }

    return {
        "company": pair.company,
        "document": pair.document,
        "from": side(pair.old),
        "to": side(pair.new),
        "counts": diff.counts(),
        "fallbacks": diff.fallbacks,
        "changes": [c.to_json() for c in diff.changes],
    }


def diff_text(pair: Pair, diff: ClauseDiff, color: bool) -> str:
    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if color else text

    lines = [
        style(f"{pair.company} — {pair.document}", bold=True),
        f"from version {pair.old.text_hash[:12]} (in force from {ts_to_iso(pair.old.start_ts)})",
        f"  to version {pair.new.text_hash[:12]} (in force from {ts_to_iso(pair.new.start_ts)})",
    ]
    counts = ", ".join(f"{n} {k}" for k, n in diff.counts().items() if n)
    lines.append(f"{diff.change_count} clause change(s)" + (f": {counts}" if counts else ""))
    for note in diff.fallbacks:
        lines.append(style(f"note: {note}", fg="yellow"))
    for c in diff.changes:
        head = f"[{c.kind}] {c.significance}"
        if c.tags:
            head += " · " + ", ".join(c.tags)
        if c.section:
            head += f" · {c.section}"
        lines += ["", style(head, fg="cyan")]
        parts = []
        for op, text in c.word_diff:
            if op == "=":
                parts.append(text)
            elif op == "-":
                parts.append(style(text, fg="red", strikethrough=True) if color else f"[-{text}-]")
            else:
                parts.append(style(text, fg="green", underline=True) if color else f"{{+{text}+}}")
        lines.append("".join(parts))
    return "\n".join(lines)


def diff_html(pair: Pair, diff: ClauseDiff) -> str:
    return _ENV.get_template("diff.html").render(pair=pair, diff=diff, iso=ts_to_iso)


def dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
