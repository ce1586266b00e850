"""A third tuned set of page templates (``tuned-3``): more kinds of sites, redesign schedules and noise rates.

Written without reading the extractor (crawler/, spiders/) nor the held-out families, to widen what the
extractor is tuned on. What it adds to bench/histories.py and bench/more_templates.py:

* eight site kinds: a bank with a mega-menu and rate disclaimers, a university page with a section sidebar
  and a "last reviewed by <office>" box, a newspaper with a paywall teaser and comment counts, a shop with a
  cart count, recommendations and a sticky promo, developer docs with a version switcher and "edit this page
  on GitHub", a phpBB-style forum with who-is-online and statistics, a static site "built with X at <time>",
  a multilingual site with a language picker and a machine-translation notice;
* naming of every kind (semantic, BEM, utility classes, hashed CSS modules that change per build, no class
  at all) and main content marked by ``<main>``/``<article>`` or by nothing;
* furniture in the policy's own container, just above or below it: breadcrumbs, print/share links, "7 min
  read", "Last reviewed <a few days ago>", "Was this page helpful? Yes No", bylines, translation notices;
* furniture on every schedule: per capture (tokens, counters, timings, users online, recommendations, tips),
  weekly or monthly (headlines, promos, events, rates), rare (a tagline changed once, an office that moved, a
  new social link, a new menu item);
* redesigns, among them twin templates that differ from their predecessor only by a few lines at the
  policy's top or bottom (title, breadcrumb, print link, reading time), and switches back;
* noise profiles per template epoch (clean, broken bytes, lists re-marked, <br> lines, spans) that sometimes
  change within an epoch too; captures that are not the policy (challenges, soft 404s in the site's template,
  the homepage, maintenance, login walls, a consent wall, a search page).

``python bench/more_templates_3.py`` prints its self-checks.
"""

from __future__ import annotations

import functools
import hashlib
import html
import random
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.histories import (  # noqa: E402
    CITIES,
    FIRST,
    NAV_ITEMS,
    PEOPLE,
    THINGS,
    Capture,
    Ctx,
    History,
    Names,
    Noise,
    Site,
    blocks_of,
    capture_times,
    challenge_page,
    headline,
    homepage,
    login_wall,
    maintenance_page,
    oracle_text,
    render_policy,
    slug,
    soft_404,
)

SEED = 5_550_123
FAMILY = "tuned-3"


# --------------------------------------------------------------------------------------------- helpers
def rare(c: Ctx, kind: str, lo: int = 2003, hi: int = 2024) -> bool:
    """A one-off change of the site's furniture: true from a day drawn once per site and kind."""
    r = c.period_rng(f"rare-{kind}", 0)
    at = datetime(r.randint(lo, hi), r.randint(1, 12), r.randint(1, 28), tzinfo=UTC)
    return c.when >= at


def hashed(c: Ctx, role: str) -> str:
    """A CSS-modules class: Component_role__hash, the hash new with every build."""
    h = hashlib.md5(f"{c.site.seed}{role}{c.build}".encode()).hexdigest()[:5]
    return f"{role.title().replace('-', '')}_{role}__{h}"


def bem(block: str, elem: str = "", mod: str = "") -> str:
    name = block + (f"__{elem}" if elem else "")
    return name + (f" {name}--{mod}" if mod else "")


def words_count(policy: str) -> int:
    return len(re.sub(r"<[^>]+>", " ", policy).split())


def reading_time(c: Ctx) -> str:
    return f"{max(1, words_count(c.policy_html) // 230)} min read"


def reviewed(c: Ctx) -> str:
    return f"{c.when - timedelta(days=c.rng.randint(0, 9)):%d %B %Y}"


def doc_title(c: Ctx) -> str:
    return c.period_rng("title", 0).choice(("Privacy Policy", "Privacy Notice", "Privacy Statement"))


OFFICES = ["Office of the General Counsel", "Information Governance Office", "Data Protection Office",
           "University Compliance Services", "Office of Information Security", "Records Management Office"]
STREETS = ["12 Harbour Street", "401 Market Avenue", "7 Kingsway", "88 Riverside Drive", "230 Elm Plaza",
           "5 Queen's Walk", "1200 Commerce Blvd", "19 Station Road"]
PRODUCTS = ["Wireless earbuds", "Stainless water bottle", "Linen shirt", "Desk lamp", "Running shoes",
            "Cast iron skillet", "Yoga mat", "Backpack 30L", "Mechanical keyboard", "Ceramic mug set",
            "Phone case", "Rain jacket", "Smart plug", "Notebook A5", "Sunglasses", "Scented candle"]
TIPS3 = ["Press / to jump to search.", "Use the dark theme from the settings menu.",
         "Saved items sync across all your devices.", "You can export your history as CSV.",
         "Set a weekly reminder in your profile.", "Shortcuts: g then h goes home."]
QUOTES3 = ["Everything should be made as simple as possible, but not simpler.", "Measure twice, cut once.",
           "Done is better than perfect.", "Privacy is not something that I'm merely entitled to, it's a prerequisite.",
           "The details are not the details. They make the design.", "Less, but better."]
LANGS = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español"), ("it", "Italiano"),
         ("pt", "Português"), ("nl", "Nederlands"), ("pl", "Polski"), ("ja", "日本語"), ("tr", "Türkçe")]
GENERATORS = ["Hugo 0.{n}.1", "Jekyll 3.{n}.0", "Eleventy 1.{n}.2", "Hexo 5.{n}.0", "Zola 0.{n}.0"]
DEPARTMENTS = ["Admissions", "Research", "Libraries", "Alumni", "Athletics", "Student Life", "Giving", "News"]


def head3(c: Ctx, title: str, extra: str = "") -> str:
    return (f'<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>{title}</title>{extra}</head>")


# --------------------------------------------------------------------------------------------- 1. bank
def mega_menu(c: Ctx) -> str:
    cols = {"Personal": ["Checking", "Savings", "Credit cards", "Mortgages", "Auto loans"],
            "Business": ["Business checking", "Merchant services", "Payroll", "Lines of credit"],
            "Insurance": ["Home", "Auto", "Life", "Travel"],
            "Wealth": ["Retirement", "Investing", "Advice"]}
    if rare(c, "menu-item", 2008, 2020):
        cols["Personal"].append("Zelle&reg; payments")
    out = "".join(f'<li class="mega__col"><span class="mega__title">{k}</span><ul>'
                  + "".join(f'<li><a href="/{slug(k)}/{slug(x)}">{x}</a></li>' for x in v) + "</ul></li>"
                  for k, v in cols.items())
    return f'<nav class="mega" aria-label="Main"><ul class="mega__cols">{out}</ul></nav>'


def rates_disclaimer(c: Ctx) -> str:
    r = c.period_rng("rates", c.day // 30)
    as_of = datetime.fromtimestamp((c.day // 30) * 30 * 86400, UTC)
    return (f'<div class="disclaimer"><p>Annual Percentage Yield (APY) {r.uniform(0.01, 4.8):.2f}% accurate as of '
            f"{as_of:%m/%d/%Y}. Rates may change after the account is opened. Fees may reduce earnings.</p>"
            "<p>Investment products: Not FDIC insured · No bank guarantee · May lose value.</p>"
            f"<p>Equal Housing Lender. Member FDIC. NMLS ID {400000 + c.site.seed % 99999}.</p></div>")


def t_bank(c: Ctx, variant: int = 0) -> str:
    """A bank: mega-menu, a sign-on box with a session token, a print link and a "Last reviewed" line in the
    policy's column (no <main>), monthly rate disclaimers and an address that moves once."""
    addr = STREETS[(c.site.seed + rare(c, "moved", 2006, 2022)) % len(STREETS)]
    top = '<p class="util"><a href="javascript:print()">Print this page</a></p>' if variant else ""
    bottom = f'<p class="util">Last reviewed {reviewed(c)}</p>'
    return (f'<!DOCTYPE html><html lang="en">{head3(c, f"{doc_title(c)} | {c.brand} Bank")}<body>'
            f'<a class="skip" href="#content">Skip to content</a>'
            f'<header class="hdr"><a class="hdr__logo" href="/">{c.brand} Bank</a>{mega_menu(c)}'
            f'<form class="signon" action="/signon" method="post"><label>User ID<input name="u"></label>'
            f'<label>Password<input type="password" name="p"></label>'
            f'<input type="hidden" name="sess" value="{c.token(28)}"><button>Sign on</button></form></header>'
            f'<div id="content" class="{c.cls("main")}">{top}{c.policy_html}{bottom}</div>'
            f'<div class="{c.cls("box")}"><p>Questions? Call 1-800-{c.site.seed % 900 + 100}-'
            f"{c.site.seed % 9000 + 1000} (available 24/7)</p></div>"
            f'<footer class="ftr">{rates_disclaimer(c)}<address>{c.brand} Bank, {addr}, '
            f"{CITIES[c.site.seed % len(CITIES)]}</address><p>&copy; {c.when.year} {c.brand} Bank, N.A.</p></footer>"
            "</body></html>")


# --------------------------------------------------------------------------------------------- 2. university
def events(c: Ctx) -> str:
    r = c.period_rng("events", c.week)
    items = "".join(f"<li><time>{c.when + timedelta(days=r.randint(1, 20)):%b %d}</time> "
                    f"{r.choice(('Lecture', 'Open day', 'Workshop', 'Concert', 'Seminar'))}: "
                    f"{r.choice(THINGS).capitalize()} for {r.choice(PEOPLE)}</li>" for _ in range(3))
    return f"<section><h2>Upcoming events</h2><ul>{items}</ul></section>"


def t_university(c: Ctx, variant: int = 0) -> str:
    """A university page: a left sidebar of section links, breadcrumbs over the policy inside <main>, a
    "Page last reviewed by <office>" box under it, weekly events; a new department link appears once."""
    secs = ["Governance", "Policies", "Freedom of information", "Privacy", "Records", "Complaints"]
    side = "".join(f'<li{" class=current" if s == "Privacy" else ""}><a href="/about/{slug(s)}">{s}</a></li>'
                   for s in secs)
    depts = DEPARTMENTS[:6] + (["Sustainability"] if rare(c, "dept", 2010, 2022) else [])
    office = OFFICES[c.site.seed % len(OFFICES)]
    crumbs = " &gt; ".join(["Home", "About", "Policies"] + (["Privacy"] if variant else []))
    title = f"<h1>{doc_title(c)}</h1>" if variant else ""
    box = (f'<div class="reviewed"><p>Page last reviewed: {reviewed(c)}</p><p>Owner: {office}</p>'
           f'<p><a href="/contact/{slug(office)}">Contact the owner</a></p></div>')
    return (f'<html lang="en-GB">{head3(c, f"{doc_title(c)} - University of {c.brand}")}<body>'
            f'<div id="top-bar"><ul>{"".join(f"<li><a href=/{slug(d)}>{d}</a></li>" for d in depts)}</ul></div>'
            f'<div id="wrapper"><div id="left-nav"><h2>About us</h2><ul>{side}</ul></div>'
            f'<main id="main-content"><p class="crumbs">{crumbs}</p>{title}{c.policy_html}{box}</main>'
            f'<div id="right">{events(c)}</div></div>'
            f"<div id=\"footer\"><p>University of {c.brand} is a registered charity, no. {c.site.seed % 1000000}"
            f"</p><p>&copy; {c.when.year}</p></div></body></html>")


# --------------------------------------------------------------------------------------------- 3. newspaper
def trending(c: Ctx) -> str:
    r = c.period_rng("trending", c.day)
    items = "".join(f'<li><a href="/{c.when:%Y/%m}/{slug(h)}">{html.escape(h)}</a> '
                    f'<span class="cc">{r.randint(0, 900) + c.rng.randint(0, 40)} comments</span></li>'
                    for h in (headline(r, c.brand, c.when.year) for _ in range(5)))
    return f'<aside class="trending"><h3>Trending now</h3><ol>{items}</ol></aside>'


def t_newspaper(c: Ctx, variant: int = 0) -> str:
    """A newspaper: a paywall teaser counting free articles, trending stories with comment counts, a byline
    and a reading time over the policy inside <article>, share links under it."""
    left = c.rng.randint(0, 5)
    teaser = (f'<div class="paywall"><p>You have {left} free article{"s" if left != 1 else ""} left this month.</p>'
              f'<a href="/subscribe">Subscribe for ${c.period_rng("price", c.day // 30).choice((1, 2, 4))} '
              "a week</a></div>") if c.rng.random() < 0.7 else ""
    by = f'<p class="byline">By The {c.brand} Staff · {reading_time(c)}</p>'
    share = ('<p class="share">Share: <a href="#fb">Facebook</a> <a href="#tw">Twitter</a> <a href="#em">Email</a>'
             f"{' <a href=#pr>Print</a>' if variant else ''}</p>")
    return (f'<html>{head3(c, f"Privacy Policy — The {c.brand} Chronicle")}<body>{teaser}'
            f'<div class="masthead"><a href="/">The {c.brand} Chronicle</a><span>{c.when:%A, %B %d, %Y}</span>'
            f'<span>Today\'s paper</span></div>'
            f'<div class="sections">{" · ".join(f"<a href=/{slug(x)}>{x}</a>" for x in NAV_ITEMS[:8])}</div>'
            f'<div class="grid"><article class="story">{by}{c.policy_html}{share}</article>{trending(c)}</div>'
            f'<div class="footer"><p>&copy; {c.when.year} The {c.brand} Chronicle Company</p></div></body></html>')


# --------------------------------------------------------------------------------------------- 4. shop
def t_shop(c: Ctx, variant: int = 0) -> str:
    """An e-commerce page with hashed CSS-module classes: a cart count, a sticky weekly promo, random product
    recommendations, and "Was this page helpful? Yes No" under the policy in the same div."""
    k = functools.partial(hashed, c)
    cart = c.rng.choice((0, 0, 1, 2, 3, 5))
    r = c.period_rng("promo", c.week)
    code = "".join(r.choice("ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(6))
    promo = (f'<div class="{k("sticky-promo")}">{r.choice(("Free shipping", "Extra 10% off", "Buy 2 get 1"))} '
             f"on orders over ${r.choice((25, 35, 50))} — code {code}</div>")
    recs = "".join(f'<li class="{k("card")}"><a href="/p/{slug(p)}">{p}</a>'
                   f"<span>${c.rng.randint(5, 150)}.99</span></li>" for p in c.rng.sample(PRODUCTS, 4))
    helpful = (f'<div class="{k("helpful")}"><span>Was this page helpful?</span><button>Yes</button>'
               "<button>No</button></div>")
    title = f'<h1 class="{k("title")}">{doc_title(c)}</h1>' if variant else ""
    return (f'<!doctype html><html>{head3(c, f"{c.brand} Store: Privacy")}<body><div id="__next">{promo}'
            f'<header class="{k("header")}"><a href="/">{c.brand}</a><input placeholder="Search products">'
            f'<a href="/cart" class="{k("cart")}">Cart ({cart})</a></header>'
            f'<div class="{k("page")}"><div class="{k("content")}">{title}{c.policy_html}{helpful}</div></div>'
            f'<section class="{k("recs")}"><h2>Recommended for you</h2><ul>{recs}</ul></section>'
            f'<footer class="{k("footer")}"><p>&copy; {c.when.year} {c.brand} Retail LLC</p></footer></div>'
            f'<script id="__NEXT_DATA__" type="application/json">{{"buildId":"{c.build}","cart":{cart}}}</script>'
            "</body></html>")


# --------------------------------------------------------------------------------------------- 5. developer docs
def t_devdocs(c: Ctx, variant: int = 0) -> str:
    """Developer docs in utility classes: a version switcher, a table of contents from the policy's headings,
    "Edit this page on GitHub" and prev/next links, a "Last updated" line; a reading time only in the twin."""
    major = 1 + (c.when.year - 2010) // 3
    versions = "".join(f"<option{' selected' if i == 0 else ''}>v{major - i}.x</option>" for i in range(3))
    heads = re.findall(r"<h[2-4]>(.*?)</h[2-4]>", c.policy_html)[:10]
    toc = "".join(f'<li><a class="text-sm hover:underline" href="#{slug(re.sub("<[^>]+>", "", h))}">'
                  f"{re.sub('<[^>]+>', '', h)}</a></li>" for h in heads)
    top = f'<p class="text-xs text-gray-500">{reading_time(c)}</p>' if variant else ""
    upd = c.when - timedelta(days=int(c.build[:2], 16) % 20)
    stars = max(40, 2000 + (c.day - 14000) * 3)
    return (f'<!DOCTYPE html><html>{head3(c, f"Privacy | {c.brand} Docs")}<body class="antialiased">'
            f'<div class="flex items-center justify-between px-4 h-14 border-b"><a href="/docs">{c.brand} Docs</a>'
            f'<select class="ml-4 text-sm" aria-label="Version">{versions}</select>'
            f'<a href="https://github.com/{slug(c.brand)}/docs">GitHub ★ {stars:,}</a></div>'
            f'<div class="flex"><nav class="w-64 shrink-0 hidden lg:block"><ul>'
            + "".join(f'<li><a href="/docs/{slug(x)}">{x}</a></li>' for x in ("Getting started", "API", "Legal",
                                                                            "Privacy", "Changelog"))
            + f'</ul></nav><main class="prose max-w-3xl mx-auto"><article>{top}{c.policy_html}</article>'
            f'<div class="mt-8 flex justify-between text-sm"><a href="https://github.com/{slug(c.brand)}/docs/edit/'
            f'main/legal/privacy.md">Edit this page on GitHub</a><span>Last updated on {upd:%b %d, %Y}</span></div>'
            '<div class="mt-4 flex justify-between"><a href="/docs/legal/terms">« Terms of use</a>'
            '<a href="/docs/legal/cookies">Cookies »</a></div></main>'
            f'<aside class="w-56 hidden xl:block"><p class="font-semibold">On this page</p><ul>{toc}</ul></aside>'
            "</div></body></html>")


# --------------------------------------------------------------------------------------------- 6. forum
def t_forum(c: Ctx, variant: int = 0) -> str:
    """phpBB-style board software: "It is currently <time>", who-is-online with user names, board statistics,
    "Powered by" and a query/timing line; the policy sits in a post body, no classes on the tables."""
    r = c.rng
    online = r.randint(12, 400)
    users = ", ".join(r.sample([f"{n.lower()}{r.randint(1, 99)}" for n in FIRST], 5))
    posts = 50000 + (c.day - 11000) * 41
    crumbs = (f'<p><a href="/index.php">Board index</a> ‹ <a href="/faq.php">Information</a>'
              f'{" ‹ Privacy" if variant else ""}</p>')
    return (f'<html dir="ltr">{head3(c, f"{c.brand} Forums &bull; Privacy policy")}<body id="phpbb">'
            f'<table width="100%"><tr><td><a href="/"><img src="/styles/prosilver/logo.gif" alt="{c.brand}"></a>'
            f"</td><td>It is currently {c.when:%a %b %d, %Y %I:%M %p}</td></tr></table>"
            f'<table width="100%" cellspacing="1"><tr><td><a href="/faq.php">FAQ</a> <a href="/search.php">Search'
            '</a> <a href="/memberlist.php">Members</a> <a href="/ucp.php?mode=login">Login</a></td></tr></table>'
            f'{crumbs}<div class="panel"><div class="postbody">{c.policy_html}</div></div>'
            f"<h3>Who is online</h3><p>In total there are {online} users online :: {r.randint(0, 30)} registered, "
            f"{r.randint(0, 5)} hidden and {online - 10} guests</p><p>Registered users: {users}</p>"
            f"<h3>Statistics</h3><p>Total posts {posts:,} • Total topics {posts // 9:,} • Total members "
            f"{posts // 23:,} • Our newest member {r.choice(FIRST).lower()}_{r.randint(100, 999)}</p>"
            f"<p>Powered by phpBB&reg; Forum Software &copy; phpBB Group</p>"
            f"<p>[ Time : {r.random():.3f}s | {r.randint(8, 40)} Queries | GZIP : Off ]</p></body></html>")


# --------------------------------------------------------------------------------------------- 7. static site
def t_static(c: Ctx, variant: int = 0) -> str:
    """A hand-written static site, no classes, no <main>: a tagline changed once, a social link added once, a
    rotating quote beside the policy, a footer "built with <generator> at <time>"."""
    tag = "Small software, made with care." if rare(c, "tagline", 2008, 2022) else "We make tools for people."
    social = ['<a href="https://twitter.com/x">Twitter</a>', '<a href="https://github.com/x">GitHub</a>']
    if rare(c, "social", 2012, 2024):
        social.append('<a href="https://mastodon.social/@x">Mastodon</a>')
    gen = c.period_rng("gen", c.build).choice(GENERATORS).format(n=c.period_rng("gen-n", c.build).randint(20, 99))
    built = c.when - timedelta(minutes=c.rng.randint(5, 60 * 24 * 6))
    quote = f"<blockquote>{c.rng.choice(QUOTES3)}</blockquote>"
    up = '<p><a href="/">← back home</a></p>' if variant else ""
    return (f"<!DOCTYPE html><html>{head3(c, f'{c.brand} — privacy')}<body>"
            f"<div><a href=\"/\">{c.brand}</a><p>{tag}</p></div><hr>"
            f"<div>{quote}<div>{up}{c.policy_html}</div></div><hr>"
            f"<div><p>{' · '.join(social)}</p><p>Built with {gen} at {built:%Y-%m-%d %H:%M:%S} UTC</p></div>"
            "</body></html>")


# --------------------------------------------------------------------------------------------- 8. multilingual
def t_multilingual(c: Ctx, variant: int = 0) -> str:
    """A multilingual site with BEM names: a language picker, a machine-translation notice and a "tip of the
    day" in the same section as the policy, a geo-detected language suggestion on some captures."""
    shown = c.period_rng("langs", c.day // 365).randint(5, len(LANGS))
    picker = "".join(f'<li class="{bem("lang-picker", "item", "active" if code == "en" else "")}">'
                     f'<a hreflang="{code}" href="/{code}/privacy">{name}</a></li>' for code, name in LANGS[:shown])
    suggest = ""
    if c.rng.random() < 0.35:
        code, name = c.rng.choice(LANGS[1:shown])
        suggest = (f'<div class="{bem("lang-suggest")}"><p>This page is available in {name}.</p>'
                   f'<a href="/{code}/privacy">Switch</a></div>')
    notice = ('<p class="notice__text">Translations are provided for convenience. In case of any difference, '
              "the English version prevails.</p>")
    if variant:
        notice = ('<p class="notice__text">This page was machine translated. <a href="/en/privacy">Show original'
                  "</a></p>")
    tip = f'<p class="{bem("tip")}">Tip: {c.rng.choice(TIPS3)}</p>'
    return (f'<!doctype html><html lang="en">{head3(c, f"{c.brand} · {doc_title(c)}")}<body>{suggest}'
            f'<header class="{bem("site-header")}"><a class="{bem("site-header", "logo")}" href="/">{c.brand}</a>'
            f'<ul class="{bem("lang-picker")}">{picker}</ul></header>'
            f'<section class="{bem("legal-doc")}"><div class="{bem("notice")}">{notice}</div>'
            f'{c.policy_html}{tip}</section>'
            f'<footer class="{bem("site-footer")}"><p>&copy; {c.when.year} {c.brand} GmbH · '
            f'{"Impressum" if rare(c, "imprint", 2005, 2020) else "Imprint"}</p></footer></body></html>')


def _fam(era: int, fn: Callable[..., str], twin: bool = False) -> tuple[int, Callable[[Ctx], str]]:
    return (era, functools.partial(fn, variant=1) if twin else fn)


TEMPLATES: dict[str, tuple[int, Callable[[Ctx], str]]] = {  # name -> (era start year, render)
    "bank_megamenu": _fam(2004, t_bank),
    "bank_megamenu_print": _fam(2004, t_bank, True),
    "university_sidebar": _fam(2002, t_university),
    "university_sidebar_titled": _fam(2002, t_university, True),
    "newspaper_paywall": _fam(2009, t_newspaper),
    "newspaper_paywall_print": _fam(2009, t_newspaper, True),
    "shop_cssmodules": _fam(2014, t_shop),
    "shop_cssmodules_titled": _fam(2014, t_shop, True),
    "devdocs": _fam(2013, t_devdocs),
    "devdocs_readtime": _fam(2013, t_devdocs, True),
    "forum_phpbb": _fam(2001, t_forum),
    "forum_phpbb_crumb": _fam(2001, t_forum, True),
    "static_built": _fam(2006, t_static),
    "static_built_backlink": _fam(2006, t_static, True),
    "multilingual": _fam(2010, t_multilingual),
    "multilingual_mt": _fam(2010, t_multilingual, True),
}
BASES = [n for n in TEMPLATES if n in ("bank_megamenu", "university_sidebar", "newspaper_paywall",
                                       "shop_cssmodules", "devdocs", "forum_phpbb", "static_built", "multilingual")]
TWIN = {b: next(n for n in TEMPLATES if n.startswith(b + "_")) for b in BASES}
CHROME_KINDS = ("mega-menu with a menu item added once", "monthly rate disclaimer", "session token",
                "office address moved once", "print link", "last reviewed a few days ago", "reviewing office box",
                "breadcrumbs in the policy container", "weekly events", "new department link once",
                "paywall teaser with free-article count", "trending stories with comment counts", "byline",
                "reading time", "share links", "cart count", "weekly sticky promo with a code",
                "random product recommendations", "was this page helpful", "hashed CSS-module classes per build",
                "version switcher", "GitHub star count", "edit on GitHub", "table of contents", "prev/next links",
                "last updated by deploy", "board clock", "who is online with user names", "board statistics",
                "query/timing line", "tagline changed once", "social link added once", "rotating quote",
                "built with <generator> at <time>", "language picker growing yearly", "language suggestion",
                "translation / machine-translation notice", "tip of the day")


# --------------------------------------------------------------------------------------------- not the policy
def consent_wall(c: Ctx) -> str:
    return (f"<html><head><title>Before you continue to {c.brand}</title></head><body>"
            f"<h1>Before you continue</h1><p>{c.brand} and our {c.rng.randint(40, 900)} partners use cookies.</p>"
            f'<form action="/consent"><input type="hidden" name="v" value="{c.token(20)}"><button>Accept all</button>'
            "<button>Manage options</button></form></body></html>")


def search_page(c: Ctx, render: Callable[[Ctx], str]) -> str:
    hits = "".join(f'<li><a href="/r/{c.token(6)}">{html.escape(headline(c.rng, c.brand, c.when.year))}</a></li>'
                   for _ in range(4))
    c.policy_html = f"<h1>Search results for “privacy”</h1><p>About {c.rng.randint(20, 900)} results</p><ul>{hits}</ul>"
    return render(c)


NOISE_PROFILES = {  # (lists as paragraphs, fffd rate, spans rate, br rate, heading shift)
    "clean": (False, 0.0, 0.0, 0.0, 0),
    "lossy": (False, 0.45, 0.05, 0.0, 0),
    "remarked": (True, 0.02, 0.3, 0.05, 1),
    "broken-lines": (False, 0.05, 0.1, 0.6, 0),
    "spans": (False, 0.0, 0.8, 0.1, 1),
    "mixed": (True, 0.15, 0.3, 0.3, 2),
}


# --------------------------------------------------------------------------------------------- building a site
def build_site3(history: History, index: int, seed: int, per_version: float) -> Site:
    rng = random.Random(seed)
    brand = history.company.replace("-", " ").title().replace(" ", "") + rng.choice(("", "", "Co", "ify"))
    style = rng.choice(("semantic", "bem", "utility", "hashed", "abbrev"))
    site = Site(f"{FAMILY}-{index:02d}-{history.company}",
                f"https://{FAMILY}{index:02d}.{slug(brand)}.example/"
                + rng.choice(("privacy", "legal/privacy-notice", "about/privacy", "policies/privacy", "privacy.html")),
                history.company, FAMILY, seed, "en", Names(rng, style))
    versions = list(zip(history.texts, history.ids))
    if len(versions) > 3 and rng.random() < 0.5:
        s = rng.randrange(0, len(versions) - 2)
        versions = versions[s : s + rng.randint(3, 10)]
    n_pol = max(len(versions) * 2, int(len(versions) * per_version * rng.uniform(0.6, 1.4)))
    cuts = sorted(rng.sample(range(1, n_pol), len(versions) - 1))
    per_capture = [sum(1 for cut in cuts if i >= cut) for i in range(n_pol)]
    # redesign chain: families in era order, a twin right after some, sometimes a switch back
    fams = sorted(rng.sample(BASES, rng.randint(1, 3)), key=lambda n: TEMPLATES[n][0])
    chain: list[str] = []
    for f in fams:
        chain.append(f)
        if rng.random() < 0.7:
            chain.append(TWIN[f])
            if rng.random() < 0.3:
                chain.append(f)
    if len(chain) == 1:
        chain.append(TWIN[chain[0]])
    chain = chain[: max(2, min(len(chain), n_pol // 3))]
    tcuts = sorted(rng.sample(range(1, n_pol), len(chain) - 1))
    start = datetime(rng.randint(max(2001, TEMPLATES[chain[0]][0]), 2014), rng.randint(1, 12), 1, tzinfo=UTC)
    times = capture_times(rng, start, n_pol + n_pol // 7)
    nonpolicy = set(rng.sample(range(1, len(times)), len(times) - n_pol))
    blocks = [blocks_of(t) for t, _ in versions]
    truth = [oracle_text(render_policy(b, Noise())) for b in blocks]
    ids: list[int] = []
    for k, text in enumerate(truth):
        ids.append(ids[-1] if k and text == truth[k - 1] else versions[k][1])
    site.templates = list(dict.fromkeys(chain))
    # noise: a profile per epoch, and in some epochs a second profile from a capture on
    profiles = [rng.choice(list(NOISE_PROFILES)) for _ in chain]
    midswitch = [(rng.random(), rng.choice(list(NOISE_PROFILES))) if rng.random() < 0.35 else None for _ in chain]
    ebounds = [0, *tcuts, n_pol]
    depths = [rng.randint(0, 3) for _ in chain]
    deploy_every = rng.uniform(7, 50)
    p = 0
    for i, when in enumerate(times):
        crng = random.Random(f"{seed}:{i}")
        pi = min(p, n_pol - 1)
        ti = sum(1 for tc in tcuts if pi >= tc)
        tname = chain[ti]
        render = TEMPLATES[tname][1]
        build = f"{int(when.timestamp() // (deploy_every * 86400)) * 40503 % 16**7:07x}"
        ctx = Ctx(site, when, "", crng, build, brand)
        ts = when.strftime("%Y%m%d%H%M%S")
        if i in nonpolicy:
            kind = crng.choice(("challenge", "soft404", "homepage", "login", "maintenance", "consent", "search",
                                "soft404", "challenge"))
            if kind == "challenge":
                body = challenge_page(ctx)
            elif kind == "maintenance":
                body = maintenance_page(ctx)
            elif kind == "login":
                body = login_wall(ctx)
            elif kind == "consent":
                body = consent_wall(ctx)
            elif kind == "search":
                body = search_page(ctx, render)
            else:
                body = (soft_404 if kind == "soft404" else homepage)(ctx, render)
            site.captures.append(Capture(ts, body.encode("utf-8"), False, None, tname, kind))
            continue
        v = per_capture[pi]
        p += 1
        prof = profiles[ti]
        ms = midswitch[ti]
        if ms and pi >= ebounds[ti] + ms[0] * (ebounds[ti + 1] - ebounds[ti]):
            prof = ms[1]
        lists, fffd, spans, brs, shift = NOISE_PROFILES[prof]
        noise = Noise(
            lists_as_paragraphs=lists ^ (crng.random() < 0.04),
            fffd=crng.choice((1, 2, 3, 6)) if crng.random() < fffd else 0,
            wrap_spans=crng.random() < spans,
            heading_shift=shift if crng.random() > 0.05 else (shift + 1) % 3,
            br_lines=crng.random() < brs,
            indent=crng.choice(("", "    ", "\t\t", "\n", " ")),
            seed=crng.randrange(10**9),
        )
        ctx.policy_html = render_policy(blocks[v], noise)
        for role in ("main", "box", "side")[: depths[ti]]:
            ctx.policy_html = f'<div class="{site.names(role + "-wrap", build)}">{ctx.policy_html}</div>'
        if oracle_text(ctx.policy_html) != truth[v]:
            site.oracle_mismatches += 1
        body = render(ctx)
        if crng.random() < 0.15:
            body = re.sub(r"(</(?:p|li|ul|ol|div|h[1-6]|table|section|header|footer|article)>)\s*", r"\1\n", body)
        site.captures.append(Capture(ts, body.encode("utf-8"), True, ids[v], tname, "policy", noise))
    return site


def sites(histories: list[History], n_sites: int, per_version: float) -> list[Site]:
    """``n_sites`` tuned-3 sites, cycling through the real histories, each from its own seeded RNG."""
    rng = random.Random(SEED)
    order = list(histories)
    rng.shuffle(order)
    return [build_site3(order[i % len(order)], i, rng.randrange(2**31), per_version) for i in range(n_sites)]


__all__ = ["CHROME_KINDS", "SEED", "TEMPLATES", "sites"]


if __name__ == "__main__":
    import time

    from bench.histories import load_histories

    t0 = time.time()
    hs = load_histories()
    built = sites(hs, len(hs), 6.0)
    caps = [c for s in built for c in s.captures]
    pol = [c for c in caps if c.policy]
    switches = sum(sum(1 for a, b in zip(ps, ps[1:]) if a.template != b.template)
                   for ps in ([c for c in s.captures if c.policy] for s in built))
    bounds = sum(sum(1 for a, b in zip(ps, ps[1:]) if a.version != b.version)
                 for ps in ([c for c in s.captures if c.policy] for s in built))
    print(f"sites {len(built)}  captures {len(caps)}  policy {len(pol)}  non-policy {len(caps) - len(pol)}")
    print(f"template switches {switches}  true version boundaries {bounds}  "
          f"oracle_mismatches {sum(s.oracle_mismatches for s in built)}  ({time.time() - t0:.1f}s)")
