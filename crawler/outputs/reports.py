"""Render clause diffs for people: terminal text (colour on a TTY), JSON, HTML.

Archived pages are attacker-controlled: HTML goes through Jinja2 with autoescape on.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from jinja2 import Environment, FileSystemLoader, select_autoescape

from crawler.archive import ts_to_datetime, ts_to_iso
from crawler.diff.align import ClauseDiff
from crawler.outputs.destinations import Output
from crawler.outputs.history import Pair

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
            "stated_date": v.stated_date,
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


def _states(v) -> str:
    return f"; it says {v.stated_date_text!r}" if v.stated_date_text else ""


def diff_text(pair: Pair, diff: ClauseDiff, color: bool) -> str:
    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if color else text

    lines = [
        style(f"{pair.company} — {pair.document}", bold=True),
        f"from version {pair.old.text_hash[:12]} (in force from {ts_to_iso(pair.old.start_ts)}{_states(pair.old)})",
        f"  to version {pair.new.text_hash[:12]} (in force from {ts_to_iso(pair.new.start_ts)}{_states(pair.new)})",
    ]
    return "\n".join(lines + clause_lines(diff, color))


def clause_lines(diff: ClauseDiff, color: bool, limit: int | None = None) -> list[str]:
    """The clause diff as terminal lines: counts, notes, then each clause change (the first
    ``limit`` of them) with its kind, significance, topics, section and word diff."""

    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if color else text

    counts = ", ".join(f"{n} {k}" for k, n in diff.counts().items() if n)
    lines = [f"{diff.change_count} clause change(s)" + (f": {counts}" if counts else "")]
    for note in diff.fallbacks:
        lines.append(style(f"note: {note}", fg="yellow"))
    for c in diff.changes[:limit]:
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
    if limit is not None and len(diff.changes) > limit:
        lines += ["", style(f"… and {len(diff.changes) - limit} more clause change(s)", fg="yellow")]
    return lines


def diff_html(pair: Pair, diff: ClauseDiff) -> str:
    return _ENV.get_template("diff.html").render(pair=pair, diff=diff, iso=ts_to_iso)


def dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


# --------------------------------------------------------------------------- the static report site

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#e15759", "#9c755f"]


def _ts_seconds(ts: str) -> float:
    return ts_to_datetime(ts).timestamp()


def timeline_chart(doc, width: int = 860, height: int = 70) -> dict:
    """Coordinates for the SVG timeline: one bar per span, a marker per change, year ticks."""
    if not doc.spans:
        return {"width": width, "height": height, "bars": [], "ticks": [], "markers": []}
    start = _ts_seconds(doc.spans[0].start_ts)
    end = max(_ts_seconds(s.end_ts) for s in doc.spans)
    end = max(end, start + 86400 * 30)
    left, right = 10, width - 10

    def x(ts: str) -> float:
        return round(left + (right - left) * (_ts_seconds(ts) - start) / (end - start), 1)

    colour: dict[str, str] = {}
    bars = []
    for i, span in enumerate(doc.spans):
        nxt = doc.spans[i + 1].start_ts if i + 1 < len(doc.spans) else span.end_ts
        colour.setdefault(span.text_hash, PALETTE[len(colour) % len(PALETTE)])
        x0, x1 = x(span.start_ts), x(nxt)
        bars.append(
            {
                "x": x0,
                "w": max(x1 - x0, 2.0),
                "fill": colour[span.text_hash],
                "title": f"version {span.text_hash[:12]}: {ts_to_iso(span.start_ts)} to {ts_to_iso(nxt)}",
            }
        )
    first_year, last_year = int(doc.spans[0].start_ts[:4]), int(max(s.end_ts for s in doc.spans)[:4])
    ticks = [{"x": x(f"{y}0101000000"), "label": str(y)} for y in range(first_year + 1, last_year + 1)]
    markers = [
        {
            "x": x(c.window_end),
            "id": c.id,
            "title": f"change {ts_to_iso(c.window_start)} – {ts_to_iso(c.window_end)}"
            + (f" ({c.review_line})" if c.review_line else ""),
            "overridden": not c.in_timeline,
        }
        for c in doc.changes
    ]
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "markers": markers}


def render_site(docs: list, out: Output, generated: str) -> list[Path]:
    """Write index.html and one page per document into the folder ``out``; returns the files written."""
    index = _ENV.get_template("report_index.html").render(docs=docs, generated=generated, iso=ts_to_iso)
    written = [out.write_text(out.file("index.html"), index)]
    company_template = _ENV.get_template("report_company.html")
    for doc in docs:
        page = company_template.render(doc=doc, chart=timeline_chart(doc), generated=generated, iso=ts_to_iso)
        written.append(out.write_text(out.file(f"{doc.slug}.html"), page))
    return written
