"""A second held-out template family for bench/bench_versions.py (``--only held-out-2``).

Written from general knowledge of real sites, without looking at the extractor: six page kinds
that the tuned families do not have, each with furniture on its own schedule.

* ``gov_portal``: a government / NGO page: skip link, language bar (languages per deploy), a
  service-status alert, an "On this page" contents list, a "Page last reviewed / next review due"
  line, a "Was this page useful?" form with a per-capture token, a crown-copyright footer.
* ``shop_storefront``: an e-commerce shop: delivery-threshold strip, seasonal sale banner, basket
  counter with a total, currency/price ticker, recently viewed products with prices, "customers
  also bought", a review-score badge that grows daily, newsletter box.
* ``wiki_article``: a wiki page: site notice (fundraising drive), personal tools, "[edit]" section
  links between the policy's blocks, "last edited" line, "Retrieved from ...&oldid=", categories,
  page-view counter, a toolbox.
* ``saas_marketing``: a SaaS marketing page: a sticky announcement, a changelog teaser (version and
  date), customer logos with alt text per deploy, a status pill, a chat-widget greeting that
  depends on the hour, hashed class names.
* ``forum_board``: a community forum: guest welcome, server time, users online, latest threads,
  a sponsored post between the policy's blocks, board statistics with the newest member, a "page
  generated in" line.
* ``amp_consent``: a mobile (AMP) page: compact header, amp-sidebar menu, a consent-management
  overlay with vendor counts, a cookie notice inside the top of the content column, an ad slot
  between blocks, a "read next" carousel, relative "updated" times.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Callable
from datetime import timedelta

from bench.histories import CITIES, FIRST, NAV_ITEMS, THINGS, Ctx, build_sites, headline, slug

SEED = 7_927

# ------------------------------------------------------------------------------------------- policy splicing
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "col", "source"}


def _top_ends(fragment: str) -> list[int]:
    """Offsets just after each top-level element of ``fragment`` closes."""
    depth, ends = 0, []
    for m in _TAG.finditer(fragment):
        name = m.group(2).lower()
        if name in _VOID or m.group(3):
            if depth == 0:
                ends.append(m.end())
            continue
        if m.group(1):
            depth -= 1
            if depth == 0:
                ends.append(m.end())
        else:
            depth += 1
    return ends


def splice(policy: str, inserts: dict[int, str]) -> str:
    """Insert whole elements between the policy's top-level blocks (inside any plain wrapper divs).

    ``inserts`` maps a gap index (0: after the first block; negative: from the end) to HTML."""
    start, stop = 0, len(policy)
    while True:  # descend through single wrapper divs
        inner = policy[start:stop]
        ends = _top_ends(inner)
        m = re.match(r"\s*<div\b[^>]*>", inner)
        if len(ends) == 1 and m and inner.rstrip().endswith("</div>"):
            start += m.end()
            stop = start + len(inner.rstrip()) - m.end() - len("</div>")
            continue
        break
    gaps = [start + e for e in ends[:-1]]
    if not gaps:
        return policy
    out, last = [], 0
    at = {}
    for k, v in inserts.items():
        if -len(gaps) <= k < len(gaps):  # a gap the policy does not have: no insert
            at.setdefault(gaps[k], []).append(v)
    for pos in sorted(at):
        out.append(policy[last:pos])
        out.extend(at[pos])
        last = pos
    out.append(policy[last:])
    return "".join(out)


def headings(policy: str, n: int = 12) -> list[str]:
    """The policy's own headings (for a contents list: same version, same list)."""
    hs = re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", policy, flags=re.S)
    return [re.sub(r"<[^>]+>", "", h).strip() for h in hs if re.sub(r"<[^>]+>", "", h).strip()][:n]


def date_fmt(r: random.Random) -> str:
    return r.choice(("%d %B %Y", "%Y-%m-%d", "%m/%d/%y", "%b %d, %Y", "%d.%m.%Y", "%A %d %B %Y", "%B %Y"))


# ------------------------------------------------------------------------------------------- 1 gov portal
LANGS = ["English", "Cymraeg", "Español", "Français", "Polski", "Português", "Română", "العربية", "中文", "Türkçe",
         "Tiếng Việt", "Soomaali", "Українська", "Русский", "ਪੰਜਾਬੀ", "বাংলা"]
ALERTS = ["Some online services will be unavailable this weekend while we carry out essential work.",
          "Coronavirus (COVID-19): guidance and support.", "Phone lines are busier than usual. Use the web chat.",
          "Severe weather: check before you travel.", "We are experiencing problems with the sign-in service.",
          "Office closures over the holiday period: see opening times."]


def t_gov_portal(c: Ctx) -> str:
    dep = c.period_rng("gov-dep", c.build)
    langs = dep.sample(LANGS, dep.randint(4, 9))
    lang_bar = ('<div class="lang-select" aria-label="Language"><ul>'
                + "".join(f'<li><a href="?lang={i}" lang="x">{x}</a></li>' for i, x in enumerate(langs))
                + "</ul></div>")
    ar = c.period_rng("gov-alert", c.day // 17)
    alert = (f'<div class="govuk-notification-banner" role="region"><h2 class="govuk-notification-banner__title">'
             f'Important</h2><p>{ar.choice(ALERTS)}</p></div>' if ar.random() < 0.45 else "")
    rv = c.period_rng("gov-review", c.day // 95)
    reviewed = c.when - timedelta(days=rv.randint(3, 90))
    fmt = date_fmt(c.period_rng("gov-fmt", c.build))
    review = (f'<div class="page-review"><p>Page last reviewed: {reviewed.strftime(fmt)}<br>'
              f'Next review due: {(reviewed + timedelta(days=365)).strftime(fmt)}</p></div>')
    toc = headings(c.policy_html, 10)
    contents = ("" if len(toc) < 2 else '<nav class="gem-c-contents-list" aria-label="Contents"><h2>Contents</h2><ol>'
                + "".join(f'<li><a href="#s{i}">{h}</a></li>' for i, h in enumerate(toc)) + "</ol></nav>")
    feedback = (f'<div class="gem-c-feedback"><form action="/contact/govuk/page_improvements" method="post">'
                f'<h2>Is this page useful?</h2><button name="useful" value="yes">Yes</button>'
                f'<button name="useful" value="no">No</button><a href="#report">Report a problem with this page</a>'
                f'<input type="hidden" name="authenticity_token" value="{c.token(43)}">'
                f'<input type="hidden" name="referrer" value="/search?q={c.rng.choice(NAV_ITEMS).lower()}"></form>'
                f"</div>")
    crumbs = (f'<div class="govuk-breadcrumbs"><ol><li><a href="/">Home</a></li>'
              f'<li><a href="/about">About {c.brand}</a></li><li><a href="/about/personal-information">'
              f"Personal information charter</a></li></ol></div>")
    related = c.period_rng("gov-rel", c.day // 60).sample(
        ["Freedom of Information", "Complaints procedure", "Accessibility statement", "Cookies on this site",
         "Data protection officer", "Welsh language scheme", "Publication scheme", "Modern slavery statement"], 4)
    side = ('<aside class="app-related-items" role="complementary"><h2>Related content</h2><ul>'
            + "".join(f'<li><a href="/{slug(x)}">{x}</a></li>' for x in related) + "</ul></aside>")
    beside = c.period_rng("gov-layout", c.build).random() < 0.5
    body = (f'<div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">'
            f'<span class="govuk-caption-l">Guidance</span>{contents}<div class="govuk-body">{c.policy_html}</div>'
            f"{review}</div>"
            + (f'<div class="govuk-grid-column-one-third">{side}</div></div>' if beside else f"</div></div>{side}"))
    return (f'<!DOCTYPE html><html lang="{c.site.lang}" class="govuk-template"><head><meta charset="utf-8">'
            f"<title>Privacy notice - {c.brand} - GOV.EXAMPLE</title>"
            f'<link rel="stylesheet" href="/assets/application-{c.build}.css"></head>'
            f'<body class="govuk-template__body"><a href="#main-content" class="govuk-skip-link">Skip to main content'
            f'</a><header class="govuk-header" role="banner"><a href="/" class="govuk-header__link">GOV.EXAMPLE</a>'
            f"</header>{lang_bar}{alert}"
            f'<div class="govuk-width-container">{crumbs}<main class="govuk-main-wrapper" id="main-content">'
            f'<h1 class="govuk-heading-xl">{c.brand}: privacy notice</h1>{body}{feedback}</main></div>'
            f'<footer class="govuk-footer"><a href="/help">Help</a> <a href="/cookies">Cookies</a> '
            f'<a href="/contact">Contact</a><p>All content is available under the Open Government Licence v3.0, '
            f"except where otherwise stated</p><p>© Crown copyright</p></footer></body></html>")


# ------------------------------------------------------------------------------------------- 2 shop storefront
PRODUCTS = ["Linen shirt", "Wireless earbuds", "Ceramic mug set", "Trail running shoes", "Desk lamp",
            "Wool scarf", "Cast iron skillet", "Yoga mat", "Backpack 24L", "Phone case", "Scented candle",
            "Water bottle", "Throw blanket", "Bluetooth speaker", "Chef's knife", "Notebook A5", "Sunglasses",
            "Plant pot", "Coffee grinder", "Bath towel"]
SALES = {11: "Black Friday: up to 50% off", 12: "Christmas gifts: order by the 18th", 1: "January sale now on",
         6: "Summer sale: extra 20% off", 7: "Summer sale: final reductions", 3: "Spring collection is here",
         9: "Back to school deals"}


def _price(r: random.Random) -> str:
    return f"{r.randint(3, 180)}.{r.choice(('99', '95', '00', '49'))}"


def t_shop_storefront(c: Ctx) -> str:
    cur = c.period_rng("shop-cur", c.site.seed).choice(("£", "$", "€"))
    strip = (f'<div class="{c.cls("banner")} usp-bar"><span>Free delivery on orders over {cur}'
             f'{c.period_rng("shop-free", c.day // 120).choice((20, 25, 30, 40, 50))}</span> · <span>'
             f'{c.period_rng("shop-ret", c.day // 200).choice((14, 28, 30, 60, 100))}-day returns</span></div>')
    sale = SALES.get(c.when.month)
    sale_html = f'<div class="hero-sale"><a href="/sale"><strong>{sale}</strong> Shop now</a></div>' if sale else ""
    items = c.rng.choice((0, 0, 1, 2, 3, 5))
    basket = (f'<a class="header-basket" href="/basket"><span class="basket-count">{items}</span> Basket'
              + (f" {cur}{sum(float(_price(c.rng)) for _ in range(items)):.2f}" if items else "") + "</a>")
    tr = c.period_rng("shop-fx", c.day)
    ticker = (f'<div class="fx-ticker"><span>USD {tr.uniform(0.7, 0.95):.4f}</span><span>EUR '
              f'{tr.uniform(0.8, 1.2):.4f}</span><span>JPY {tr.uniform(100, 160):.2f}</span></div>')
    cats = c.period_rng("shop-cats", c.when.year * 4 + (c.when.month - 1) // 3).sample(
        ["Women", "Men", "Kids", "Home", "Beauty", "Electronics", "Garden", "Sports", "Gifts", "Outlet", "New in"], 7)
    menu = '<ul class="mega-menu">' + "".join(f'<li><a href="/c/{slug(x)}">{x}</a></li>' for x in cats) + "</ul>"
    seen = c.rng.sample(PRODUCTS, c.rng.randint(0, 5))
    recent = ("" if not seen else
              f'<section class="{c.cls("related")} recently-viewed"><h3>Recently viewed</h3><ul>'
              + "".join(f'<li class="product-tile"><img src="/p/{slug(p)}.jpg" alt="{p}"><a href="/p/{slug(p)}">{p}'
                        f'</a><span class="price">{cur}{_price(c.rng)}</span></li>' for p in seen) + "</ul></section>")
    ab = c.period_rng("shop-also", c.week)
    also = ('<div class="also-bought"><h4>Customers also bought</h4>'
            + "".join(f'<div class="tile"><a href="/p/{slug(p)}">{p}</a> <s>{cur}{_price(ab)}</s> '
                      f'<b>{cur}{_price(ab)}</b></div>' for p in ab.sample(PRODUCTS, 3)) + "</div>")
    reviews = 12000 + (c.day - 12000) * 9 + c.rng.randrange(9)
    badge = (f'<div class="trust-badge">Rated {4.3 + (c.day % 7) / 10:.1f}/5 from {reviews:,} reviews · '
             f'<a href="https://reviews.example/{slug(c.brand)}">Excellent</a></div>')
    news = ('<form class="newsletter"><label>Get 10% off your first order</label><input type="email" '
            f'placeholder="Email address"><input type="hidden" name="form_key" value="{c.token(16)}">'
            "<button>Subscribe</button></form>")
    below = c.period_rng("shop-place", c.build).random() < 0.5
    content = (f'<div class="{c.cls("main")} cms-page-view"><div class="page-title-wrapper"><h1>Privacy and Cookie '
               f'Policy</h1></div>{c.policy_html}' + (recent if below else "") + "</div>")
    return (f'<!DOCTYPE html><html lang="{c.site.lang}"><head><meta charset="utf-8"><title>Privacy Policy | {c.brand}'
            f' Online Store</title><script>var BASKET={{"count":{items},"sid":"{c.token(20)}"}};</script></head>'
            f'<body class="cms-privacy-policy page-layout-1column">{strip}{ticker}'
            f'<header class="page-header"><a class="logo" href="/">{c.brand}</a><form class="minisearch">'
            f'<input name="q" placeholder="Search entire store here..."></form>{basket}</header>'
            f'<nav class="{c.cls("nav")}">{menu}</nav>{sale_html}'
            f'<main id="maincontent">{"" if below else recent}{content}{also}</main>'
            f'<footer class="{c.cls("foot")}">{badge}{news}<p>Prices include VAT. {c.brand} Retail Ltd, registered in '
            f"England No. {c.site.seed % 10**8:08d}.</p><p>&copy; {c.when.year} {c.brand}</p></footer></body></html>")


# ------------------------------------------------------------------------------------------- 3 wiki article
def t_wiki_article(c: Ctx) -> str:
    drive = c.period_rng("wiki-drive", c.day // 30)
    notice = ""
    if c.when.month in (11, 12) or drive.random() < 0.2:
        notice = (f'<div id="siteNotice"><div class="cn-banner"><p>To all our readers: please don\'t scroll past '
                  "this. We ask you, humbly, to help. If everyone reading this gave "
                  f"{drive.choice(('$2', '$3', '£2'))},"
                  f" our fundraiser would be done within an hour. {c.rng.choice(('', 'Thank you.'))}</p></div></div>")
    tools = ('<div id="p-personal"><ul><li>Not logged in</li><li><a href="/wiki/Special:MyTalk">Talk</a></li>'
             '<li><a href="/wiki/Special:MyContributions">Contributions</a></li><li>'
             '<a href="/w/index.php?title=Special:CreateAccount">Create account</a></li><li>'
             '<a href="/w/index.php?title=Special:UserLogin">Log in</a></li></ul></div>')
    edit_every = c.period_rng("wiki-edits", c.site.seed).randint(6, 40)
    period = c.day // edit_every
    er = c.period_rng("wiki-edit", period)
    edited = c.when - timedelta(days=er.randint(0, edit_every - 1), minutes=er.randint(0, 1439))
    edited = min(edited, c.when)
    oldid = 1000000 + period * 977 + er.randrange(900)
    edits = {i: f'<div class="mw-editsection"><span>[</span><a href="/w/index.php?title=Privacy_policy&amp;'
                f'action=edit&amp;section={i + 1}">edit</a><span>]</span></div>' for i in range(0, 40, 3)}
    policy = splice(c.policy_html, edits) if c.period_rng("wiki-editlinks", c.build).random() < 0.6 else c.policy_html
    views = 40000 + (c.day - 11000) * 53 + c.rng.randrange(50)
    cats = c.period_rng("wiki-cats", c.day // 180).sample(
        ["Policies", "Legal", "Privacy", "Foundation policies", "Pages with short description", "Help"], 3)
    toolbox = ('<div id="p-tb"><h3>Tools</h3><ul><li><a href="/wiki/Special:WhatLinksHere">What links here</a></li>'
               '<li><a href="/wiki/Special:RecentChangesLinked">Related changes</a></li><li><a href="/wiki/'
               f'Special:SpecialPages">Special pages</a></li><li><a href="?oldid={oldid}">Permanent link</a></li>'
               '<li><a href="?action=info">Page information</a></li></ul></div>')
    return (f'<!DOCTYPE html><html class="client-nojs" lang="{c.site.lang}" dir="ltr"><head><meta charset="UTF-8">'
            f"<title>Privacy policy - {c.brand} Wiki</title>"
            f'<script>RLCONF={{"wgRevisionId":{oldid},"wgRequestId":"{c.token(24)}","wgCurRevisionId":{oldid}}};'
            f'</script></head><body class="mediawiki ltr skin-vector">'
            f'<div id="mw-page-base"></div><div id="content" class="mw-body" role="main">{notice}'
            f'<h1 id="firstHeading" class="firstHeading">Privacy policy</h1>'
            f'<div id="bodyContent"><div id="siteSub">From {c.brand} Wiki</div>'
            f'<div id="contentSub"></div><div id="mw-content-text" class="mw-body-content">'
            f'<div class="mw-parser-output">{policy}'
            f'<div class="printfooter">Retrieved from "<a dir="ltr" href="https://wiki.example/w/index.php?title='
            f'Privacy_policy&amp;oldid={oldid}">https://wiki.example/w/index.php?title=Privacy_policy&amp;oldid='
            f"{oldid}</a>\"</div></div></div>"
            f'<div id="catlinks" class="catlinks"><a href="/wiki/Special:Categories">Categories</a>: '
            + " | ".join(f'<a href="/wiki/Category:{slug(x)}">{x}</a>' for x in cats) + "</div></div></div>"
            f'<div id="mw-navigation">{tools}<div id="p-navigation"><ul><li><a href="/wiki/Main_Page">Main page</a>'
            f'</li><li><a href="/wiki/Special:Random">Random page</a></li><li><a href="/wiki/Special:RecentChanges">'
            f"Recent changes</a></li></ul></div>{toolbox}</div>"
            f'<div id="footer"><ul id="footer-info"><li id="footer-info-lastmod"> This page was last edited on '
            f"{edited:%-d %B %Y}, at {edited:%H:%M}.</li><li>This page has been accessed {views:,} times.</li>"
            f'<li id="footer-info-copyright">Text is available under the Creative Commons Attribution-ShareAlike '
            f"License; additional terms may apply.</li></ul></div></body></html>")


# ------------------------------------------------------------------------------------------- 4 SaaS marketing
LOGOS = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Soylent",
         "Vandelay Industries", "Pied Piper", "Massive Dynamic", "Cyberdyne", "Tyrell", "Wonka", "Oscorp"]
ANNOUNCE = ["We just raised our Series {L}! Read the announcement", "Join us at {brand}Conf {year} in {city}",
            "New: {thing} is now generally available", "Webinar on {d}: scaling with {brand}",
            "{brand} is now SOC 2 Type II certified", "Introducing {brand} AI - try it free"]


def t_saas_marketing(c: Ctx) -> str:
    ar = c.period_rng("saas-ann", c.day // 25)
    announce = ""
    if ar.random() < 0.7:
        text = ar.choice(ANNOUNCE).format(L=ar.choice("BCDE"), brand=c.brand, year=c.when.year + ar.randint(0, 1),
                                          city=ar.choice(CITIES), thing=ar.choice(THINGS),
                                          d=(c.when + timedelta(days=ar.randint(3, 20))).strftime("%b %-d"))
        announce = (f'<div class="{c.cls("banner")}" data-sticky="true"><p>{html.escape(text)} '
                    f'<a href="/blog">&rarr;</a></p><button aria-label="Dismiss">×</button></div>')
    rel = c.day // 9
    cr = c.period_rng("saas-rel", rel)
    changelog = (f'<div class="{c.cls("box")}"><span class="badge">What\'s new</span> <a href="/changelog">'
                 f"v{3 + rel // 80}.{rel % 80 // 8}.{rel % 8} — {cr.choice(THINGS).capitalize()}</a> "
                 f"<time>{(c.when - timedelta(days=cr.randint(0, 8))).strftime(date_fmt(cr))}</time></div>")
    lr = c.period_rng("saas-logos", c.build)
    logos = (f'<section class="{c.cls("quote")}"><p>Trusted by {lr.randint(2, 40) * 1000:,}+ teams</p><div>'
             + "".join(f'<img src="/logos/{slug(x)}.svg" alt="{x} logo" width="120">' for x in lr.sample(LOGOS, 6))
             + "</div></section>")
    status_r = c.period_rng("saas-status", c.day)
    status = ("All systems operational" if status_r.random() < 0.85
              else status_r.choice(("Partial outage", "Degraded performance", "Scheduled maintenance")))
    hour = c.when.hour
    greet = ("We're online! Ask us anything." if 8 <= hour < 18
             else f"We typically reply in {c.rng.choice(('a few hours', 'under an hour', 'a day'))}.")
    chat = (f'<div id="intercom-container"><div class="intercom-launcher"><p>Hi there 👋 {greet}</p>'
            f'<span class="avatar">{c.rng.choice(FIRST)}</span></div></div>')
    toc = headings(c.policy_html, 8)
    side_toc = ("" if len(toc) < 3 else f'<aside class="{c.cls("side")}"><p>On this page</p><ul>'
                + "".join(f'<li><a href="#h{i}">{h}</a></li>' for i, h in enumerate(toc)) + "</ul></aside>")
    depth = c.period_rng("saas-depth", c.build).randint(1, 3)
    inner = c.policy_html
    for k in range(depth):
        inner = f'<div class="{c.cls(f"wrap{k}")}">{inner}</div>'
    return (f'<!DOCTYPE html><html lang="{c.site.lang}"><head><meta charset="utf-8"><title>Privacy Policy — {c.brand}'
            f'</title><link rel="preload" href="/_next/static/{c.build}/_buildManifest.js" as="script"></head>'
            f'<body><div id="__next">{announce}<header class="{c.cls("nav")}"><a href="/">{c.brand}</a>'
            + "".join(f'<a href="/{slug(x)}">{x}</a>' for x in ("Product", "Solutions", "Pricing", "Customers", "Docs"))
            + f'<a href="/login">Sign in</a><a class="{c.cls("cta")}" href="/signup">Start free trial</a></header>'
            f'{changelog}<div class="{c.cls("layout")}">{side_toc}<main class="{c.cls("main")}">'
            f"<h1>Privacy Policy</h1>{inner}</main></div>{logos}"
            f'<section class="{c.cls("cta-band")}"><h2>Ready to get started?</h2><a href="/signup">Try {c.brand} free'
            f'</a><a href="/demo">Book a demo</a></section>'
            f'<footer class="{c.cls("foot")}"><a href="https://status.example">● {status}</a>'
            f"<p>© {c.when.year} {c.brand}, Inc.</p></footer>{chat}</div></body></html>")


# ------------------------------------------------------------------------------------------- 5 forum board
THREAD_FORMS = ["Help with {thing}?", "Anyone else having issues with {thing}", "[Guide] Getting the most from {thing}",
                "{city} meetup this weekend", "Feature request: {thing}", "Is {thing} worth it?",
                "Bug: {thing} not loading", "Introduce yourself! ({city})", "Off-topic: what are you reading?"]
USERS = ["darkstar", "mike_77", "lena.k", "TheRealBob", "pixelfan", "quietriot", "nomad", "zebra42", "kat_in_hat",
         "gr8scott", "ollie", "s.ramirez", "jjj", "moonwalker", "teapot"]


def t_forum_board(c: Ctx) -> str:
    online_r = c.rng
    guests = online_r.randint(20, 400)
    members = online_r.randint(2, 60)
    online_names = ", ".join(online_r.sample(USERS, min(members, 6)))
    tr = c.period_rng("forum-threads", c.day)
    threads = "".join(
        f'<tr><td class="row1"><a href="/viewtopic.php?t={tr.randint(1000, 99999)}">'
        f'{html.escape(tr.choice(THREAD_FORMS).format(thing=tr.choice(THINGS), city=tr.choice(CITIES)))}</a></td>'
        f'<td class="row2"><span class="gensmall">by {tr.choice(USERS)}</span></td></tr>' for _ in range(5))
    latest = (f'<table class="forumline" width="100%"><tr><th colspan="2">Latest topics</th></tr>{threads}</table>')
    sr = c.period_rng("forum-sponsor", c.day // 14)
    sponsor = (f'<div class="post bg3 sponsored"><p class="author">Sponsored</p><div class="content">'
               f'{html.escape(headline(sr, sr.choice(["Nordly", "Fizz", "Quanta", "Brightway"]), c.when.year))}'
               f"</div></div>")
    policy = splice(c.policy_html, {1: sponsor}) if sr.random() < 0.5 else c.policy_html
    days = c.day - 11000
    stats = (f"Total posts <strong>{200000 + days * 310 + c.rng.randrange(300):,}</strong> • Total topics "
             f"<strong>{15000 + days * 22:,}</strong> • Total members <strong>{8000 + days * 4:,}</strong> • "
             f"Our newest member <strong>{c.period_rng('forum-new', c.day).choice(USERS)}"
             f"{c.period_rng('forum-new', c.day).randint(1, 999)}</strong>")
    record_day = c.when - timedelta(days=c.period_rng("forum-rec", c.day // 60).randint(1, 400))
    record = f"Most users ever online was <strong>{900 + days // 3}</strong> on {record_day:%a %b %d, %Y %I:%M %p}"
    posted = c.period_rng("forum-posted", c.site.seed).randint(200, 900)
    return (f'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"><html><head><title>{c.brand} Community '
            f"&bull; View topic - Privacy Policy</title></head><body id=\"phpbb\" class=\"section-viewtopic\">"
            f'<div id="wrap"><div class="headerbar"><h1>{c.brand} Community</h1><p>Discussion, help and news</p></div>'
            f'<div class="navbar"><ul class="linklist"><li>Welcome, Guest. Please <a href="/ucp.php?mode=login">login'
            f'</a> or <a href="/ucp.php?mode=register">register</a>.</li><li class="rightside">It is currently '
            f"{c.when:%a %b %d, %Y %I:%M %p}</li></ul></div>"
            f'<table width="100%" cellspacing="0"><tr><td valign="top" width="78%">'
            f'<h2 class="topic-title"><a href="/viewtopic.php?t=1">Privacy Policy</a></h2>'
            f'<div class="post bg2 sticky"><div class="postbody"><p class="author">by <strong>Administrator</strong> '
            f'» {(c.when - timedelta(days=posted)):%a %b %d, %Y}</p><div class="content">{policy}</div>'
            f'<div class="signature">The {c.brand} Team</div></div></div>'
            f'<div class="topic-actions">Locked topic · {c.rng.randint(1, 40) + days // 2:,} views</div></td>'
            f'<td valign="top" width="22%">{latest}</td></tr></table>'
            f'<div class="stat-block online-list"><h3>Who is online</h3><p>In total there are <strong>'
            f"{guests + members}</strong> users online :: {members} registered, 0 hidden and {guests} guests "
            f"(based on users active over the past 5 minutes)<br>{record}</p><p>Registered users: {online_names}</p>"
            f'</div><div class="stat-block statistics"><h3>Statistics</h3><p>{stats}</p></div>'
            f'<div class="copyright">Powered by phpBB® Forum Software © phpBB Limited<br>'
            f"Page generated in {c.rng.uniform(0.01, 0.9):.4f} seconds | {c.rng.randint(8, 30)} Queries | GZIP : On"
            f"</div></div></body></html>")


# ------------------------------------------------------------------------------------------- 6 AMP with consent
def t_amp_consent(c: Ctx) -> str:
    vr = c.period_rng("amp-vendors", c.day // 30)
    vendors = vr.randint(120, 900)
    show_cmp = c.rng.random() < 0.6
    cmp = ("" if not show_cmp else
           f'<amp-consent id="consent" layout="nodisplay"><div class="cmp-ui" role="dialog"><h2>We value your privacy'
           f'</h2><p>We and our {vendors} partners store and/or access information on a device, such as unique IDs in '
           f"cookies to process personal data. You may accept or manage your choices by clicking below, including "
           "your right to object where legitimate interest is used.</p>"
           f"<p>{vr.choice(('Personalised ads', 'Precise geolocation data'))}"
           f", ad measurement, audience insights and product development. List of Partners (vendors)</p>"
           f'<button on="tap:consent.accept">I ACCEPT</button><button on="tap:consent.reject">'
           f'I DO NOT ACCEPT</button><button>MORE OPTIONS</button></div></amp-consent>')
    inline_cookie = ("" if c.when.year < 2013 or c.rng.random() < 0.4 else
                     f'<div class="{c.cls("consent")}"><p>This site uses cookies. By continuing to browse you agree '
                     "to our use of cookies."
                     f'{c.period_rng("amp-ck", c.day // 90).choice(("", " Find out more.", " OK"))}'
                     f"</p></div>")
    ad_r = c.period_rng("amp-ad", c.week)
    ad = (f'<div class="ad-slot"><span class="ad-label">Advertisement</span><amp-ad width="300" height="250" '
          f'type="doubleclick" data-slot="/{ad_r.randrange(10**8)}/mobile_{ad_r.choice(("mpu", "inline", "native"))}'
          f'"></amp-ad></div>')
    slots = {ad_r.choice((2, 3, 4)): ad}
    if c.period_rng("amp-ad2", c.build).random() < 0.5:
        slots[-2] = ad.replace("mobile_", "mobile2_")
    policy = splice(c.policy_html, slots)
    nr = c.period_rng("amp-next", c.day // 3)
    read_next = (f'<amp-carousel class="{c.cls("related")}" type="carousel" height="160"><h3>Read next</h3>'
                 + "".join(f'<a href="/news/{slug(h)}"><div>{html.escape(h)}</div></a>'
                           for h in (headline(nr, c.brand, c.when.year) for _ in range(4))) + "</amp-carousel>")
    ago = c.rng.choice((f"{c.rng.randint(1, 59)} minutes ago", f"{c.rng.randint(1, 23)} hours ago",
                        f"{c.rng.randint(2, 6)} days ago"))
    menu = "".join(f'<li><a href="/{slug(x)}">{x}</a></li>'
                   for x in c.period_rng("amp-menu", c.day // 150).sample(NAV_ITEMS, 6))
    cookie_top = c.period_rng("amp-ckpos", c.build).random() < 0.5
    return (f'<!doctype html><html ⚡ lang="{c.site.lang}"><head><meta charset="utf-8"><title>Privacy Policy - '
            f'{c.brand}</title><link rel="canonical" href="{c.site.url}"><script async '
            f'src="https://cdn.ampproject.org/v0.js"></script><style amp-custom>.h{{height:48px}}</style></head><body>'
            f'<amp-sidebar id="sidebar" layout="nodisplay" side="left"><ul>{menu}</ul></amp-sidebar>'
            f'<header class="h {c.cls("nav")}"><button on="tap:sidebar.toggle">☰</button><a href="/">{c.brand}</a>'
            f'<a href="/search">🔍</a></header>{cmp}'
            f'<article class="{c.cls("main")}">{inline_cookie if cookie_top else ""}'
            f'<h1>Privacy Policy</h1><p class="byline">Updated {ago}</p>{policy}'
            f'{"" if cookie_top else inline_cookie}</article>{read_next}'
            f'<footer class="{c.cls("foot")}"><a href="#top">Back to top</a> · <a href="{c.site.url}?nonamp=1">'
            f"View desktop version</a><p>© {c.when.year} {c.brand}</p></footer>"
            f'<amp-analytics type="gtag"><script type="application/json">{{"vars":{{"cid":"{c.token(20)}"}}}}'
            f"</script></amp-analytics></body></html>")


TEMPLATES: dict[str, tuple[int, Callable[[Ctx], str]]] = {  # name -> (era start year, render)
    "forum_board": (2003, t_forum_board),
    "shop_storefront": (2004, t_shop_storefront),
    "wiki_article": (2006, t_wiki_article),
    "gov_portal": (2009, t_gov_portal),
    "saas_marketing": (2014, t_saas_marketing),
    "amp_consent": (2016, t_amp_consent),
}


def sites(histories, n_sites: int, per_version: float):
    return build_sites(histories, n_sites, SEED, TEMPLATES, "held-out-2", per_version)
