"""Render clause diffs for people: terminal text (colour on a TTY), JSON, HTML; and the static
report site: an index with a timeline strip per company, an overview of trends across companies
(SVG charts, each with its numbers as a table and a CSV), and a page per company.

Archived pages are attacker-controlled: HTML goes through Jinja2 with autoescape on.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import click
from jinja2 import Environment, FileSystemLoader, select_autoescape

from crawler.archive import ts_to_datetime, ts_to_iso
from crawler.diff import load_taxonomy
from crawler.diff.align import ClauseDiff
from crawler.outputs.charts import Chart, bar_chart, hbar_chart, line_chart
from crawler.outputs.destinations import Output
from crawler.outputs.history import Pair
from crawler.outputs.trends import COUNTING, TrendData

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


def timeline_strips(docs: list, width: int = 220, height: int = 14) -> dict:
    """A small timeline per document for the index, all on one time axis (so that strips compare):
    one bar per span, alternately dark and light, with a gap at each change."""
    spans = [s for doc in docs for s in doc.spans]
    if not spans:
        return {"width": width, "height": height, "from": None, "to": None, "strips": {}}
    start = min(_ts_seconds(s.start_ts) for s in spans)
    end = max(max(_ts_seconds(s.end_ts) for s in spans), start + 86400 * 30)

    def x(ts: str) -> float:
        return round(width * (_ts_seconds(ts) - start) / (end - start), 1)

    strips = {}
    for doc in docs:
        bars = []
        for i, span in enumerate(doc.spans):
            x0 = x(span.start_ts)
            x1 = x(doc.spans[i + 1].start_ts) if i + 1 < len(doc.spans) else x(span.end_ts)
            w = round(max(x1 - x0 - (1 if i + 1 < len(doc.spans) else 0), 1.5), 1)  # a gap before the next
            bars.append({"x": min(x0, width - w), "w": w, "k": i % 2})
        versions = len({s.text_hash for s in doc.spans})
        label = (
            f"{versions} version(s) over {len(doc.spans)} span(s), from {ts_to_iso(doc.spans[0].start_ts)[:10]} "
            f"to {ts_to_iso(doc.spans[-1].end_ts)[:10]}"
            if doc.spans
            else "no version yet"
        )
        strips[doc.slug] = {"bars": bars, "label": label}
    first, last = min(s.start_ts for s in spans), max(s.end_ts for s in spans)
    return {"width": width, "height": height, "from": first[:4], "to": last[:4], "strips": strips}


# --------------------------------------------------------------------------- the overview page

# Drawn on the monthly chart: when the laws that made companies rewrite their policies took effect.
MILESTONES = [("2018-05", "GDPR (25 May 2018)"), ("2020-01", "CCPA (1 Jan 2020)")]
# The topics whose share the overview follows (the ones studies of policy histories plot).
SHARE_TOPICS = ("sale", "children", "international_transfers")


@dataclass
class Figure:
    """One chart of the overview with its numbers: the same rows make the table under it and its CSV."""

    id: str
    title: str
    description: str
    chart: Chart
    columns: list[str]
    rows: list[list]

    @property
    def csv_name(self) -> str:
        return f"overview-{self.id}.csv"

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(["" if v is None else v for v in row] for row in self.rows)
        return buffer.getvalue()


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def overview_figures(data: TrendData, since: str | None = None) -> list[Figure]:
    """The overview's charts: changes per month, their significance, length, reading grade, topic
    shares per year, and the topics that changes touched."""
    labels = {t.id: t.label for t in load_taxonomy().topics}
    months = data.rows("month", [], since)
    years = data.rows("year", list(labels), since)
    if not years:
        return []
    year_labels = [r["period"] for r in years]
    figures = [
        Figure(
            "changes-per-month",
            "Policies changed each month",
            "How many policies changed in each month (a change counts in the month of the first capture of the "
            "new text), beside how many were observed: captured in the month, or carried by the captures "
            "around it. Dashed lines: the GDPR and the CCPA taking effect.",
            bar_chart(
                "changes-per-month",
                [r["period"] for r in months],
                [("policies changed", [r["changed"] for r in months])],
                refs=MILESTONES,
            ),
            ["month", "companies observed", "captured", "carried", "policies changed", "changes"],
            [[r["period"], r["companies"], r["captured"], r["carried"], r["changed"], r["changes"]] for r in months],
        ),
        Figure(
            "changes-by-significance",
            "Substantive and cosmetic changes each year",
            "Changes per year: substantive (solid) when at least one clause changed its words, cosmetic (hatched) "
            "when only whitespace, punctuation, case, dates or numbering did.",
            bar_chart(
                "changes-by-significance",
                year_labels,
                [("substantive", [r["substantive"] for r in years]), ("cosmetic", [r["cosmetic"] for r in years])],
            ),
            ["year", "changes", "substantive", "cosmetic"],
            [[r["period"], r["changes"], r["substantive"], r["cosmetic"]] for r in years],
        ),
        Figure(
            "policy-length",
            "How long policies were",
            "Length in words of the policies in force at the end of each year (or at their last capture): "
            "the line joins the medians, each whisker spans the first to the third quartile.",
            line_chart(
                "policy-length",
                year_labels,
                [
                    {
                        "name": "median words",
                        "values": [r["words_median"] for r in years],
                        "lo": [r["words_q1"] for r in years],
                        "hi": [r["words_q3"] for r in years],
                    }
                ],
            ),
            ["year", "policies", "words, first quartile", "median", "third quartile"],
            [[r["period"], r["policies"], r["words_q1"], r["words_median"], r["words_q3"]] for r in years],
        ),
        Figure(
            "reading-grade",
            "How hard policies were to read",
            "Reading grade (Coleman–Liau index: the US school grade needed) of the policies in force at the end of "
            "each year: median, and first to third quartile.",
            line_chart(
                "reading-grade",
                year_labels,
                [
                    {
                        "name": "median grade",
                        "values": [r["grade_median"] for r in years],
                        "lo": [r["grade_q1"] for r in years],
                        "hi": [r["grade_q3"] for r in years],
                    }
                ],
            ),
            ["year", "policies", "grade, first quartile", "median", "third quartile"],
            [[r["period"], r["policies"], r["grade_q1"], r["grade_median"], r["grade_q3"]] for r in years],
        ),
        Figure(
            "topic-shares",
            "Share of policies that mention a topic",
            "Of the policies in force at the end of each year, the share with at least one clause on: "
            + "; ".join(labels[t].lower() for t in SHARE_TOPICS)
            + ".",
            line_chart(
                "topic-shares",
                year_labels,
                [{"name": labels[t], "values": [r[f"share_{t}"] for r in years]} for t in SHARE_TOPICS],
                percent=True,
            ),
            ["year", "policies", *(f"{labels[t]} (%)" for t in SHARE_TOPICS)],
            [[r["period"], r["policies"], *(_pct(r[f"share_{t}"]) for t in SHARE_TOPICS)] for r in years],
        ),
    ]
    touched = sorted(
        ((labels[t], sum(r[f"changes_{t}"] for r in years)) for t in labels), key=lambda item: (-item[1], item[0])
    )
    figures.append(
        Figure(
            "topics-of-changes",
            "Which topics changes touched",
            f"Changes from {year_labels[0]} to {year_labels[-1]} whose substantive clause changes touch each topic "
            "(a change touching several topics counts for each).",
            hbar_chart("topics-of-changes", touched),
            ["topic", "changes"],
            [[label, n] for label, n in touched],
        )
    )
    return figures


def render_site(
    docs: list, out: Output, generated: str, trends: TrendData | None = None, since: str | None = None
) -> list[Path]:
    """Write index.html, one page per document and, given ``trends``, overview.html with a CSV per
    chart into the folder ``out``; returns the files written."""
    figures = overview_figures(trends, since) if trends is not None else None
    index = _ENV.get_template("report_index.html").render(
        docs=docs, generated=generated, iso=ts_to_iso, strips=timeline_strips(docs), overview=figures is not None
    )
    written = [out.write_text(out.file("index.html"), index)]
    if figures is not None:
        page = _ENV.get_template("report_overview.html").render(
            figures=figures,
            generated=generated,
            counting=COUNTING,
            companies=len({p.company for p in trends.policies.values()}),
            policies=len(trends.policies),
            first=trends.first_ts,
            last=trends.last_ts,
            missing=trends.versions_without_figures(),
            iso=ts_to_iso,
        )
        written.append(out.write_text(out.file("overview.html"), page))
        written += [out.write_text(out.file(f.csv_name), f.csv_text()) for f in figures]
    company_template = _ENV.get_template("report_company.html")
    for doc in docs:
        page = company_template.render(doc=doc, chart=timeline_chart(doc), generated=generated, iso=ts_to_iso)
        written.append(out.write_text(out.file(f"{doc.slug}.html"), page))
    return written
