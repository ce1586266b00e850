"""SVG charts for the report, computed here as plain data and drawn by ``templates/_charts.html``.

No JavaScript and nothing fetched: the SVG is inline. Readable without colour: each series differs
from the others in more than its colour -- bars by fill pattern (solid, hatched, dotted), lines by
dash pattern and marker shape -- and the legend draws each series with its pattern or marker beside
its name. The numbers of every chart are also a table under it and a CSV file beside it (the
overview page writes both from the same rows).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

WIDTH = 860
# Series styles, in order; the colours differ in lightness too (they stay apart in greyscale).
STYLES = [
    {"colour": "#1f4e79", "pattern": "solid", "dash": "", "marker": "circle"},
    {"colour": "#c55a11", "pattern": "hatch", "dash": "8 4", "marker": "square"},
    {"colour": "#548235", "pattern": "dots", "dash": "2 3", "marker": "triangle"},
    {"colour": "#7030a0", "pattern": "cross", "dash": "10 3 2 3", "marker": "diamond"},
]
LEFT, RIGHT, TOP, BOTTOM = 60, 16, 44, 34


@dataclass
class Chart:
    """Everything the template draws: the frame, axes, marks, legend and reference lines."""

    id: str
    kind: str  # bars | lines | hbars
    width: int
    height: int
    y_ticks: list[dict] = field(default_factory=list)  # {"y", "label"}
    x_labels: list[dict] = field(default_factory=list)  # {"x", "label"}
    bars: list[dict] = field(default_factory=list)  # {"x", "y", "w", "h", "style", "title"}
    lines: list[dict] = field(default_factory=list)  # {"style", "name", "segments": [points], "markers", "whiskers"}
    legend: list[dict] = field(default_factory=list)  # {"x", "name", "style"}
    series: list[str] = field(default_factory=list)  # bars: the series' names, by style
    refs: list[dict] = field(default_factory=list)  # {"x", "label"}
    rows: list[dict] = field(default_factory=list)  # hbars: {"y", "label", "w", "value"}
    styles: list[dict] = field(default_factory=lambda: STYLES)
    plot: dict = field(default_factory=dict)  # {"left", "right", "top", "bottom"}


def nice_ticks(top: float, count: int = 5, integer: bool = True) -> list[float]:
    """Round tick values from 0 to at least ``top``: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if integer:
        step = max(1, math.ceil(step))
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def tick_label(value: float, percent: bool = False) -> str:
    if percent:
        return f"{value * 100:g}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _frame(chart: Chart, ticks: list[float], percent: bool = False) -> Callable[[float], float]:
    """Y ticks of the chart; returns the value -> y function."""
    plot_h = chart.height - TOP - BOTTOM
    top = ticks[-1] or 1

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - value / top), 1)

    chart.y_ticks = [{"y": y(t), "label": tick_label(t, percent)} for t in ticks]
    chart.plot = {"left": LEFT, "right": chart.width - RIGHT, "top": TOP, "bottom": chart.height - BOTTOM}
    return y


def _x_labels(categories: list[str], band: float) -> list[dict]:
    """Category labels that fit: for months (``YYYY-MM``), each year at its January; else every k-th."""
    if categories and len(categories[0]) == 7 and categories[0][4] == "-" and categories[0][5:].isdigit():
        years = [(i, c[:4]) for i, c in enumerate(categories) if c.endswith("-01") or i == 0]
        every = max(1, math.ceil(36 / (band * 12)))
        return [
            {"x": round(LEFT + i * band, 1), "label": year, "tick": True}
            for n, (i, year) in enumerate(years)
            if int(year) % every == 0 or n == 0
        ]
    every = max(1, math.ceil(40 / band))
    return [
        {"x": round(LEFT + (i + 0.5) * band, 1), "label": c, "tick": False}
        for i, c in enumerate(categories)
        if i % every == 0
    ]


def _legend(names: list[str]) -> list[dict]:
    out, x = [], LEFT
    for k, name in enumerate(names):
        out.append({"x": x, "name": name, "style": k})
        x += 40 + 7 * len(name)
    return out


def bar_chart(
    chart_id: str,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    refs: list[tuple[str, str]] = (),
    height: int = 250,
) -> Chart:
    """Vertical bars, one per category, the series stacked (first at the bottom)."""
    chart = Chart(chart_id, "bars", WIDTH, height)
    n = max(len(categories), 1)
    band = (WIDTH - LEFT - RIGHT) / n
    totals = [sum(values[i] or 0 for _, values in series) for i in range(len(categories))]
    y = _frame(chart, nice_ticks(max(totals, default=0)))
    width = max(band * 0.8, 1.0) if band > 2 else band
    for i, category in enumerate(categories):
        base = 0.0
        for k, (name, values) in enumerate(series):
            value = values[i] or 0
            if value:
                top = y(base + value)
                chart.bars.append(
                    {
                        "x": round(LEFT + i * band + (band - width) / 2, 2),
                        "y": top,
                        "w": round(width, 2),
                        "h": round(y(base) - top, 1),
                        "style": k,
                        "title": f"{category}: {tick_label(value)} {name}",
                    }
                )
            base += value
    chart.x_labels = _x_labels(categories, band)
    index = {c: i for i, c in enumerate(categories)}
    # a reference line at the start of its category; labels on alternate rows, so that close ones stay apart
    chart.refs = [
        {"x": round(LEFT + index[c] * band, 1), "label": label, "dy": 12 * (k % 2)}
        for k, (c, label) in enumerate((c, label) for c, label in refs if c in index)
    ]
    chart.series = [name for name, _ in series]
    chart.legend = _legend(chart.series) if len(series) > 1 else []
    return chart


def line_chart(
    chart_id: str,
    categories: list[str],
    series: list[dict],
    percent: bool = False,
    height: int = 260,
) -> Chart:
    """One line per series (``{"name", "values", "lo", "hi"}``; None is a gap), with a marker per
    value and, given ``lo``/``hi``, a whisker from one to the other (quartiles)."""
    chart = Chart(chart_id, "lines", WIDTH, height)
    n = max(len(categories), 1)
    band = (WIDTH - LEFT - RIGHT) / n
    highest = max(
        (v for s in series for v in (s.get("hi") or s["values"]) if v is not None),
        default=0,
    )
    ticks = [0, 0.25, 0.5, 0.75, 1.0] if percent else nice_ticks(highest, integer=highest > 20)
    y = _frame(chart, ticks, percent)
    for k, s in enumerate(series):
        segments, current, markers, whiskers = [], [], [], []
        dodge = (k - (len(series) - 1) / 2) * min(5.0, band / 8)  # lines that coincide stay apart
        for i, value in enumerate(s["values"]):
            x = round(LEFT + (i + 0.5) * band + dodge, 1)
            if value is None:
                if current:
                    segments.append(" ".join(current))
                current = []
                continue
            current.append(f"{x},{y(value)}")
            label = f"{value * 100:.1f}%" if percent else tick_label(value)
            markers.append({"x": x, "y": y(value), "title": f"{categories[i]}: {s['name']} {label}"})
            lo, hi = (s.get("lo") or [None] * n)[i], (s.get("hi") or [None] * n)[i]
            if lo is not None and hi is not None:
                whiskers.append({"x": x, "y1": y(lo), "y2": y(hi)})
        if current:
            segments.append(" ".join(current))
        chart.lines.append(
            {"style": k, "name": s["name"], "segments": segments, "markers": markers, "whiskers": whiskers}
        )
    chart.x_labels = _x_labels(categories, band)
    chart.legend = _legend([s["name"] for s in series])
    return chart


def hbar_chart(chart_id: str, items: list[tuple[str, float]], label_width: int = 300) -> Chart:
    """Horizontal bars, one per item, longest first as given; the value printed at the end of each."""
    row_height, top_margin = 22, 8
    chart = Chart(chart_id, "hbars", WIDTH, top_margin + row_height * max(len(items), 1) + 8)
    top = max((v for _, v in items), default=0) or 1
    room = WIDTH - label_width - RIGHT - 50
    for k, (label, value) in enumerate(items):
        chart.rows.append(
            {
                "y": top_margin + k * row_height,
                "label": label,
                "x": label_width,
                "w": round(room * value / top, 1),
                "value": tick_label(value),
            }
        )
    chart.plot = {"left": label_width, "right": WIDTH - RIGHT, "top": top_margin, "bottom": chart.height - 8}
    return chart
