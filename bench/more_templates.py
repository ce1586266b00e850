"""A second tuned set of page templates (``tuned-2``), with furniture the first set lacks.

Written after the first set (bench/histories.py) was tuned to no false boundary, to widen what the
extractor is tuned on rather than to fit the held-out families (bench/heldout_templates.py, still
unread). Its first score, before any change made for it, is kept in docs/benchmarks.md beside the
tuned one. What it adds:

* prose that rotates beside the policy with no link and no telling class: a quote of the day, a
  "did you know" tip, a who's-online line, a poll of the week with radio buttons;
* furniture inside the policy's own column: an advertisement between two of its blocks (a label
  and a sponsored link), a "Was this page helpful?" box with a running count, "previous / next
  document" links whose titles change, a "Last updated on" line dated by the deploy, not the policy;
* page furniture of other eras and kinds: a masthead with today's date and the weather, a login box
  with form labels, an "On this page" list of in-page links beside the policy, a documentation
  tree, a version selector, a geo banner, a live-chat widget, a status line, ``<noscript>`` text,
  a "page generated in 0.012 s" line, policies in ``<details>`` sections with an "Expand all" button.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta

from bench.histories import (
    CITIES,
    FIRST,
    LEGAL_DOCS,
    NAV_ITEMS,
    THINGS,
    Ctx,
    consent,
    copyright_footer,
    head,
    headline,
    nav,
    slug,
)

SEED = 2_417

TIPS = ["You can download a copy of your data at any time from your settings.",
        "Two-step verification keeps your account safe even if your password leaks.",
        "Muting a conversation stops its notifications without telling anyone.",
        "Your profile can be hidden from search engines in one tap.",
        "Dark mode saves battery on most phones.", "You can schedule messages to send later.",
        "Shared albums can be edited by everyone you invite.", "Keyboard shortcuts: press ? to see them all."]
SAYINGS = ["The best way to predict the future is to invent it.", "Simplicity is the soul of efficiency.",
           "Well begun is half done.", "Small steps every day add up to big results.",
           "Make it work, make it right, make it fast.", "Quality is not an act, it is a habit.",
           "Trust is built in drops and lost in buckets.", "The secret of getting ahead is getting started."]
POLLS = [("Which feature should we build next?", THINGS[:4]), ("How do you use us most?", ["Work", "Play", "Both"]),
         ("Where do you read the news?", ["Phone", "Laptop", "Paper"]),
         ("Best season?", ["Spring", "Summer", "Autumn"])]
COUNTRIES = ["Germany", "Brazil", "Japan", "India", "Canada", "France", "Kenya", "Mexico", "Poland", "Spain"]


def _blocks_end(policy: str) -> list[int]:
    return [m.end() for m in re.finditer(r"</(?:p|ul|ol|table|h[1-6])>", policy)]


def ad_between_blocks(c: Ctx) -> str:
    """The policy with an advertisement placed after one of its blocks (the slot moves with the build)."""
    ends = _blocks_end(c.policy_html)
    if len(ends) < 4:
        return c.policy_html
    at = ends[c.period_rng("ad-at", c.build).randrange(1, min(len(ends) - 1, 6))]
    r = c.rng
    offer = f"{r.choice(('Save', 'Get'))} {r.randint(10, 70)}% on {r.choice(THINGS)} at {r.choice(CITIES)} Outlet"
    label = c.period_rng("ad-label", c.build).choice(("Advertisement", "Sponsored", "Ad", "ADVERTISEMENT"))
    ad = (f'<div class="{c.cls("box")}" data-slot="{c.token(8)}"><small>{label}</small> '
          f'<a href="https://ads.example/c/{c.token(12)}" rel="sponsored nofollow">{html.escape(offer)}</a></div>')
    return c.policy_html[:at] + ad + c.policy_html[at:]


def helpful_box(c: Ctx) -> str:
    yes = 200 + (c.day - 12000) // 3 + c.rng.randrange(20)
    return (f'<div class="{c.cls("box")}"><p>Was this page helpful?</p><button>Yes</button><button>No</button>'
            f"<p>{yes:,} of {yes + yes // 4 + c.rng.randrange(9):,} people found this helpful</p></div>")


def prev_next(c: Ctx) -> str:
    r = c.period_rng("prevnext", c.day // 400)
    before, after = r.sample([d for d in LEGAL_DOCS if d != "Privacy Policy"], 2)
    return (f'<div class="{c.cls("nav")}-pager"><a href="/docs/{slug(before)}">← {before}</a>'
            f'<a href="/docs/{slug(after)}">{after} →</a></div>')


def deploy_date(c: Ctx) -> str:
    built = c.when - timedelta(days=int(c.build[:3], 16) % 9)
    return f'<p class="{c.cls("counter")}">Last updated on {built:%B %d, %Y}</p>'


def t_docs_portal(c: Ctx) -> str:
    """A documentation site: a tree of documents, "On this page" links, a version selector, helpfulness box,
    previous/next links and a deploy date inside the article column."""
    r = c.period_rng("tree", c.day // 180)
    tree = "".join(f'<li><a href="/docs/{slug(d)}">{d}</a><ul>'
                   + "".join(f'<li><a href="/docs/{slug(d)}/{slug(x)}">{x}</a></li>' for x in r.sample(THINGS, 2))
                   + "</ul></li>" for d in r.sample(LEGAL_DOCS, 5))
    heads = re.findall(r"<h[23]>(.*?)</h[23]>", c.policy_html)[:12]
    toc = "".join(f'<li><a href="#{slug(re.sub("<[^>]+>", "", h))}">{h}</a></li>' for h in heads)
    versions = "".join(f"<option>v{c.when.year - k}.{k}</option>" for k in range(3))
    return (f'<!DOCTYPE html><html lang="{c.site.lang}">{head(c, f"Privacy Policy · {c.brand} Docs")}<body>'
            f'<header><a href="/">{c.brand} Docs</a><select aria-label="Version">{versions}</select>'
            f"{nav(c, 4)}</header>"
            f'<div class="{c.cls("side")}"><ul>{tree}</ul></div>'
            f'<div class="{c.cls("main")}"><div class="{c.cls("box")}">{c.policy_html}</div>'
            f'{deploy_date(c)}{helpful_box(c)}{prev_next(c)}<a href="/edit/privacy.md">Edit this page</a></div>'
            f'<div class="{c.cls("related")}"><p>On this page</p><ul>{toc}</ul></div>'
            f"{copyright_footer(c)}</body></html>")


def masthead(c: Ctx) -> str:
    r = c.rng
    return (f'<div class="{c.cls("nav")}-top"><span>{c.when:%A, %B %d, %Y}</span> '
            f"<span>{r.choice(CITIES)} {r.randint(-5, 35)}°C</span> <a href=\"/subscribe\">Subscribe</a></div>")


def most_read(c: Ctx) -> str:
    r = c.period_rng("mostread", c.day)
    items = "".join(f'<li><a href="/story/{slug(h)}">{html.escape(h)}</a></li>'
                    for h in (headline(r, c.brand, c.when.year) for _ in range(5)))
    return f'<div class="{c.cls("side")}"><h3>Most read</h3><ol>{items}</ol></div>'


def newsletter(c: Ctx) -> str:
    topic = c.period_rng("letter", c.day // 90).choice(("morning briefing", "weekend edition", "tech digest"))
    return (f'<form class="{c.cls("box")}" action="/newsletter"><p>Get the {topic} in your inbox.</p>'
            '<input type="email" placeholder="Your e-mail"><button>Sign up</button></form>')


def t_news_site(c: Ctx) -> str:
    """A newspaper: today's date and weather, most-read stories, an advertisement inside the policy's column,
    a newsletter form after it."""
    c.policy_html = ad_between_blocks(c)
    return (f'<html>{head(c, f"Privacy Policy - The {c.brand} Times")}<body>{masthead(c)}'
            f'<div id="masthead"><a href="/">The {c.brand} Times</a>{nav(c, 7)}</div>'
            f'<table width="100%"><tr><td valign="top"><div class="{c.cls("main")}">{c.policy_html}</div>'
            f"{newsletter(c)}</td>"
            f'<td width="300" valign="top">{most_read(c)}</td></tr></table>'
            f"{copyright_footer(c)}{consent(c)}</body></html>")


def chat_widget(c: Ctx) -> str:
    who, wait = c.rng.choice(FIRST), c.rng.randint(1, 15)
    return (f'<div class="{c.cls("box")}" style="position:fixed;bottom:0"><p>Chat with {who} — '
            f"typically replies in {wait} minutes</p><button>Start chat</button></div>")


def geo_banner(c: Ctx) -> str:
    if c.rng.random() < 0.4:
        return ""
    where = c.rng.choice(COUNTRIES)
    return (f'<div class="{c.cls("banner")}"><p>It looks like you are in {where}. Visit our local site for '
            f'prices in your currency?</p><a href="/{slug(where)}">Go</a><button aria-label="Close">×</button></div>')


def status_line(c: Ctx) -> str:
    state = c.rng.choice(("All systems operational", "All systems operational", "Degraded performance",
                          "Partial outage: messaging"))
    return f'<p class="{c.cls("foot")}-status"><a href="https://status.example">Status</a>: {state}</p>'


def as_details(policy: str, c: Ctx) -> str:
    """Each section of the policy (a heading and what follows it) folded into <details>."""
    parts = re.split(r"(?=<h[23]>)", policy)
    out = [parts[0]]
    for part in parts[1:]:
        m = re.match(r"<h([23])>(.*?)</h\1>(.*)", part, re.S)
        if not m:
            out.append(part)
            continue
        out.append(f"<details><summary><h{m.group(1)}>{m.group(2)}</h{m.group(1)}></summary>{m.group(3)}</details>")
    return "".join(out)


def t_accordion(c: Ctx) -> str:
    """A modern page folding every section into <details>, with an "Expand all" button, a geo banner, a live
    chat widget and a status line."""
    return (f'<!doctype html><html lang="{c.site.lang}">{head(c, f"{c.brand} | Privacy")}<body>{geo_banner(c)}'
            f'<header class="{c.cls("nav")}"><a href="/">{c.brand}</a>{nav(c, 5)}</header>'
            f'<main><div class="{c.cls("main")}"><button class="{c.cls("tabs")}">Expand all</button>'
            f"{as_details(c.policy_html, c)}</div></main>"
            f"<footer>{status_line(c)}{copyright_footer(c)}</footer>{chat_widget(c)}"
            f"<noscript><p>Please enable JavaScript to use {c.brand}.</p></noscript></body></html>")


def t_print_page(c: Ctx) -> str:
    """A printer-friendly page: the policy alone, then where and when it was printed and how long the server
    took, all in the policy's own container."""
    url = c.site.url
    return (f"<html>{head(c, f'{c.brand} Privacy Policy (printable version)')}<body><div>"
            f"<p><b>{c.brand}</b> — printable version</p>{c.policy_html}"
            f"<p>Printed from {url} on {c.when:%d/%m/%Y at %H:%M}</p>"
            f"<p>Page generated in {c.rng.random() / 10:.4f} seconds by web-{c.rng.randint(1, 24):02d}</p>"
            "</div></body></html>")


def login_box(c: Ctx) -> str:
    return (f'<form class="{c.cls("box")}" action="/login"><label>Username</label><input name="u">'
            '<label>Password</label><input type="password" name="p"><label><input type="checkbox"> Remember me'
            f'</label><button>{c.t("login")}</button><p><a href="/lost">Forgot your password?</a></p></form>')


def poll(c: Ctx) -> str:
    question, options = POLLS[c.week % len(POLLS)]
    opts = "".join(f'<label><input type="radio" name="poll"> {o}</label><br>' for o in options)
    return f'<div class="{c.cls("box")}"><b>Poll of the week</b><p>{question}</p>{opts}<button>Vote</button></div>'


def prose_of_the_day(c: Ctx) -> str:
    """Rotating prose beside the policy, no link, no telling class: only its rotation shows it is furniture."""
    r = c.period_rng("prose", c.day)
    said = f"<p><i>“{r.choice(SAYINGS)}”</i> — {r.choice(FIRST)}</p>"
    tip = f"<p>{r.choice(('Did you know?', 'Tip:', 'Hint:'))} {r.choice(TIPS)}</p>"
    online = f"<p>{r.randint(20, 900)} guests and {r.randint(0, 60)} members are online.</p>"
    return f'<div class="{c.cls("side")}">{said}{tip}{online}</div>'


def t_portal_columns(c: Ctx) -> str:
    """A 2000s portal: three columns, a login box and a poll on the left, rotating prose on the right."""
    return (f'<html>{head(c, f"{c.brand} :: Privacy")}<body><div id="hd"><a href="/">{c.brand}</a>'
            f"{' | '.join(f'<a href=/{slug(x)}>{x}</a>' for x in NAV_ITEMS[:6])}</div>"
            f'<div id="left">{login_box(c)}{poll(c)}</div>'
            f'<div id="center"><div class="{c.cls("main")}">{c.policy_html}</div></div>'
            f'<div id="right">{prose_of_the_day(c)}</div>'
            f"{copyright_footer(c, links=False)}</body></html>")


TEMPLATES: dict[str, tuple[int, Callable[[Ctx], str]]] = {
    "docs_portal": (2013, t_docs_portal),
    "news_site": (2003, t_news_site),
    "accordion": (2017, t_accordion),
    "print_page": (2004, t_print_page),
    "portal_columns": (2001, t_portal_columns),
}


def sites(histories, n_sites: int, per_version: float):
    from bench.histories import build_sites

    return build_sites(histories, n_sites, SEED, TEMPLATES, "tuned-2", per_version)


__all__ = ["SEED", "TEMPLATES", "sites"]
