"""HELD-OUT template families and chrome kinds, for the held-out score of bench/bench_versions.py only.

Whoever tunes the extractor (rules, chrome signals, thresholds) must NOT read this file, its
output or the held-out examples: it measures whether the extractor generalises to page layouts
and page furniture nobody tuned for. Tune on bench/histories.py; read only the held-out figures.

Five template families (docs site, community forum, shop, localized news portal, public body) and chrome kinds
that appear nowhere in bench/histories.py, drawn from a different seed (HELDOUT_SEED).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import timedelta

from bench.histories import CITIES, FIRST, THINGS, Ctx, History, Site, build_sites, slug

HELDOUT_SEED = 90_417

PRODUCTS = ["Merino Crew Sweater", "Trail Running Shoe", "Ceramic Pour-Over Set", "Noise-Cancelling Earbuds",
            "Linen Duvet Cover", "Cast Iron Skillet 26cm", "Kids' Rain Jacket", "Bamboo Cutting Board",
            "Smart LED Bulb (2-pack)", "Insulated Water Bottle", "Yoga Mat Pro", "Desk Lamp with USB-C",
            "Wool Beanie", "Travel Backpack 30L", "Espresso Cups (set of 4)", "Wireless Charger Pad"]
TOPICS = ["Problem with notifications after update", "Feature request: export to CSV", "How do I merge accounts?",
          "Login loop on Android", "Dark theme contrast too low", "Is there an API rate limit?",
          "Billing question about annual plan", "Welcome thread - introduce yourself", "Bug: search ignores accents",
          "Tips for organising large projects", "Sync stuck at 99%", "Keyboard shortcuts cheat sheet"]
INDICES = [("DAX", 15000), ("CAC 40", 7200), ("FTSE 100", 7600), ("IBEX 35", 10400), ("EURO STOXX 50", 4300),
           ("SMI", 11200), ("AEX", 780)]
PORTAL_LANG = {
    "de": {"most": "Meistgelesen", "chat": "Berater online", "weather": "Wetter", "lang": "Sprache",
           "sale": "Angebot endet in", "news": "Newsletter abonnieren", "email": "E-Mail-Adresse"},
    "fr": {"most": "Les plus lus", "chat": "conseillers en ligne", "weather": "Météo", "lang": "Langue",
           "sale": "L'offre se termine dans", "news": "S'abonner à la newsletter", "email": "Adresse e-mail"},
    "nl": {"most": "Meest gelezen", "chat": "adviseurs online", "weather": "Weer", "lang": "Taal",
           "sale": "Aanbieding eindigt over", "news": "Aanmelden voor de nieuwsbrief", "email": "E-mailadres"},
    "en": {"most": "Most read", "chat": "agents online", "weather": "Weather", "lang": "Language",
           "sale": "Sale ends in", "news": "Subscribe to our newsletter", "email": "Email address"},
}


def _pl(c: Ctx) -> dict:
    return PORTAL_LANG.get(c.site.lang, PORTAL_LANG["en"])


# -- held-out chrome kinds ---------------------------------------------------------------------------------
def feedback_widget(c: Ctx) -> str:
    yes = 40 + (c.day - 11000) // 3 + c.rng.randrange(5)
    return (f'<div class="{c.cls("box")}" data-feedback><p>Was this page helpful?</p>'
            f'<button aria-label="yes">👍 Yes ({yes})</button>'
            f'<button aria-label="no">👎 No ({yes // 7})</button></div>')


def edited_by(c: Ctx) -> str:
    r = c.period_rng("editor", c.build)
    return (f'<div class="{c.cls("counter")}"><a href="https://git.example/edit/main/privacy.md">Edit this page</a>'
            f' · Last updated on {c.when - timedelta(days=r.randint(0, 30)):%B %d, %Y} by {r.choice(FIRST)}</div>')


def version_select(c: Ctx) -> str:
    n = 1 + (c.day - 11000) // 90
    opts = "".join(f"<option>v{n - i // 3}.{(n + i) % 10}</option>" for i in range(min(8, n)))
    return f'<select aria-label="version">{opts}</select>'


def online_now(c: Ctx) -> str:
    return (f'<div class="{c.cls("box")}"><b>{c.rng.randint(20, 900)}</b> members and '
            f'<b>{c.rng.randint(100, 5000):,}</b> guests online now</div>')


def recent_topics(c: Ctx) -> str:
    r = c.period_rng("topics", c.day)
    rows = "".join(f'<tr><td><a href="/t/{slug(t)}">{t}</a></td><td>{r.randint(0, 80)}</td>'
                   f'<td>{r.choice(FIRST).lower()}{r.randint(1, 99)}</td></tr>' for t in r.sample(TOPICS, 5))
    return f'<table class="{c.cls("side")}"><tr><th>Topic</th><th>Replies</th><th>Last post</th></tr>{rows}</table>'


def forum_stats(c: Ctx) -> str:
    d = c.day - 11000
    return (f"<p>Threads: {3000 + d * 9:,} · Posts: {40000 + d * 131:,} · Members: {9000 + d * 17:,} · "
            f"Newest member: {c.period_rng('member', c.day).choice(FIRST)}{c.rng.randint(1, 999)}</p>")


def mini_cart(c: Ctx) -> str:
    n = c.rng.choice((0, 0, 0, 1, 2))
    return f'<a class="{c.cls("nav")}" href="/cart">Cart ({n})</a>'


def also_viewed(c: Ctx) -> str:
    r = c.period_rng("viewed", c.day // 3)
    cards = "".join(f'<div class="{c.cls("box")}"><a href="/p/{slug(p)}">{p}</a>'
                    f"<span>€{r.randint(9, 240)}.{r.choice(('00', '95', '99'))}</span></div>"
                    for p in r.sample(PRODUCTS, 4))
    return f'<section class="{c.cls("related")}"><h2>Customers also viewed</h2>{cards}</section>'


def countdown(c: Ctx) -> str:
    left = c.rng.randrange(86400)
    return (f'<div class="{c.cls("banner")}">{_pl(c)["sale"]} <time>{left // 3600:02d}:{left % 3600 // 60:02d}:'
            f"{left % 60:02d}</time></div>")


def shipping_ribbon(c: Ctx) -> str:
    r = c.period_rng("ship", c.day // 21)
    return f'<div class="{c.cls("banner")}">Free shipping on orders over €{r.choice((25, 29, 39, 49, 50, 60))}</div>'


def newsletter(c: Ctx) -> str:
    return (f'<form class="{c.cls("box")}" action="/subscribe"><label>{_pl(c)["news"]}</label>'
            f'<input type="email" placeholder="{_pl(c)["email"]}"><button>OK</button>'
            f'<input type="hidden" name="form_key" value="{c.token(16)}"></form>')


def ticker(c: Ctx) -> str:
    r = c.rng
    items = " ".join(f"<span>{name} {base * (1 + r.uniform(-0.1, 0.1)):,.2f} {r.choice('▲▼')}{r.uniform(0, 2):.1f}%"
                     f"</span>" for name, base in r.sample(INDICES, 4))
    return f'<div class="{c.cls("banner")}" aria-live="polite">{items}</div>'


def weather(c: Ctx) -> str:
    return (f'<div class="{c.cls("box")}">{_pl(c)["weather"]}: {c.rng.choice(CITIES)} '
            f"{c.rng.randint(-8, 34)}°C</div>")


def most_read(c: Ctx) -> str:
    r = c.period_rng("most", c.day // 2)
    heads = [f"{r.choice(CITIES)}: {r.choice(THINGS)} {r.choice(('erklärt', 'im Test', 'en débat', 'explained'))}"
             for _ in range(5)]
    items = "".join(f'<li><a href="/a/{r.randrange(10**6)}">{html.escape(h)}</a></li>' for h in heads)
    return f'<div class="{c.cls("side")}"><h2>{_pl(c)["most"]}</h2><ol>{items}</ol></div>'


def live_chat(c: Ctx) -> str:
    return f'<div class="{c.cls("box")}" id="chat-bubble">{c.rng.randint(0, 9)} {_pl(c)["chat"]}</div>'


def language_picker(c: Ctx) -> str:
    langs = ["Deutsch", "English", "Français", "Nederlands", "Español", "Italiano"]
    r = c.period_rng("langs", c.day // 50)
    r.shuffle(langs)
    return (f'<ul class="{c.cls("nav")}" aria-label="{_pl(c)["lang"]}">'
            + "".join(f'<li><a hreflang="x" href="/{x[:2].lower()}">{x}</a></li>' for x in langs) + "</ul>")


# -- held-out templates ------------------------------------------------------------------------------------
def t_docs_site(c: Ctx) -> str:
    tree = "".join(f'<li><a href="/docs/{slug(x)}">{x}</a></li>' for x in
                   ("Getting started", "Accounts", "Billing", "Security", "Privacy policy", "Terms", "Changelog"))
    return (f'<!DOCTYPE html><html><head><title>Privacy policy · {c.brand} Docs</title>'
            f'<script>var __DOCS_VERSION="{c.build}"</script></head><body>'
            f'<div class="{c.cls("nav")}"><a href="/docs">{c.brand} Docs</a>{version_select(c)}'
            f'<input type="search" placeholder="Search docs ⌘K"></div>'
            f'<div class="layout"><div class="{c.cls("side")}"><ul>{tree}</ul></div>'
            f'<div class="{c.cls("main")}"><div class="markdown">{c.policy_html}</div>'
            f"{edited_by(c)}{feedback_widget(c)}"
            f'<nav class="pager"><a href="/docs/security">« Security</a><a href="/docs/terms">Terms »</a></nav>'
            f"</div></div></body></html>")


def t_forum(c: Ctx) -> str:
    return (f'<html><head><title>{c.brand} Community - Privacy</title></head><body>'
            f'<div id="hdr"><a href="/">{c.brand} Community</a> <span>Welcome, guest!</span> '
            f'<a href="/register">Register</a></div>{online_now(c)}'
            f'<table width="100%"><tr><td valign="top" class="{c.cls("main")}"><div class="postbody">'
            f'{c.policy_html}</div></td><td width="260" valign="top">{recent_topics(c)}</td></tr></table>'
            f'<div id="stats">{forum_stats(c)}</div>'
            f'<p class="{c.cls("foot")}">Powered by forumware {2 + (c.day - 11000) // 400}.x</p></body></html>')


def t_shop(c: Ctx) -> str:
    cats = "".join(f'<li><a href="/c/{slug(x)}">{x}</a></li>'
                   for x in ("Women", "Men", "Kids", "Home", "Outdoor", "Sale"))
    data = json.dumps({"cart": c.rng.randrange(3), "session": c.token(20), "ab": c.rng.choice("ABC")})
    return (f'<!DOCTYPE html><html><head><title>Privacy Notice | {c.brand} Store</title></head><body>'
            f"{shipping_ribbon(c)}{countdown(c) if c.rng.random() < 0.5 else ''}"
            f'<header><a href="/">{c.brand}</a><ul class="mega">{cats}</ul>{mini_cart(c)}</header>'
            f'<div class="{c.cls("main")}"><section>{c.policy_html}</section></div>'
            f"{also_viewed(c)}{newsletter(c)}"
            f'<script type="application/json" id="store-state">{data}</script></body></html>')


def t_portal(c: Ctx) -> str:
    return (f'<!DOCTYPE html><html lang="{c.site.lang}"><head><title>Datenschutz / Privacy – {c.brand}</title>'
            f"</head><body>{ticker(c)}<div id=\"masthead\"><a href=\"/\">{c.brand}</a>{language_picker(c)}"
            f"{weather(c)}</div>"
            f'<div class="grid"><div class="{c.cls("main")}"><div>{c.policy_html}</div></div>'
            f"<div>{most_read(c)}</div></div>{live_chat(c)}"
            f'<div class="{c.cls("foot")}">© {c.brand} Media Group {c.when.year}</div></body></html>')


def a11y_toolbar(c: Ctx) -> str:
    return (f'<div class="{c.cls("tabs")}"><a href="#main">Skip to main content</a><span>Text size:</span>'
            '<button>A</button><button>A+</button><button>A++</button><button>High contrast</button></div>')


def last_reviewed(c: Ctx) -> str:
    r = c.period_rng("review", c.day // 75)
    reviewed = c.when - timedelta(days=r.randint(0, 70))
    due = reviewed + timedelta(days=r.choice((180, 365)))
    return (f'<dl class="{c.cls("counter")}"><dt>Page last reviewed:</dt><dd>{reviewed:%d %B %Y}</dd>'
            f"<dt>Next review due:</dt><dd>{due:%d %B %Y}</dd></dl>")


def report_problem(c: Ctx) -> str:
    return (f'<details class="{c.cls("box")}"><summary>Report a problem with this page</summary><form>'
            f'<textarea name="what"></textarea><input type="hidden" name="ref" value="{c.token(10)}">'
            f"<button>Send</button></form></details>")


def t_public_body(c: Ctx) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><title>Privacy notice - {c.brand}</title></head><body>'
            f'{a11y_toolbar(c)}<header><a href="/">{c.brand}</a><nav><a href="/services">Services</a>'
            f'<a href="/about">About us</a><a href="/contact">Contact us</a></nav></header>'
            f'<main id="main"><div class="{c.cls("main")}">{c.policy_html}</div>{last_reviewed(c)}'
            f"{report_problem(c)}</main><footer>Open Government Licence v3.0 · © {c.brand} {c.when.year}</footer>"
            f"</body></html>")


TEMPLATES: dict[str, tuple[int, Callable[[Ctx], str]]] = {
    "docs_site": (2012, t_docs_site),
    "forum": (2003, t_forum),
    "shop": (2009, t_shop),
    "portal": (2006, t_portal),
    "public_body": (2008, t_public_body),
}
CHROME_KINDS = ("page-feedback widget", "edit-this-page / last updated by", "docs version selector",
                "members online", "recent forum topics", "forum statistics", "mini cart", "customers also viewed",
                "sale countdown", "shipping ribbon", "newsletter form", "stock ticker", "weather", "most read",
                "live-chat bubble", "language picker", "accessibility toolbar", "page last reviewed / next review",
                "report-a-problem form")


def sites(histories: list[History], n: int, captures_per_version: float = 6.0) -> list[Site]:
    return build_sites(histories, n, HELDOUT_SEED, TEMPLATES, "heldout", captures_per_version)
