"""Archive-like histories of policy pages, built from real policy texts, with known ground truth.

Each synthetic site walks through one real policy's successive substantive versions
(../shared/realdata), rendered as HTML from their Markdown-like text and served over the years
in several page templates whose furniture changes on its own schedule. Every capture says
whether it is the policy and which version it shows, so a timeline built from the bodies alone
can be scored boundary by boundary (bench/bench_versions.py).

Which real versions count (``load_histories``):

* Open Terms Archive versions (``version_md``) with ``commit_type`` ``first``/``change``; rows
  that are ``refilter``/``upgrade`` re-extractions, or carry the hints ``format_only``,
  ``dates_or_numbers_only``, ``tosback_era_flat_text`` or ``mass_reextraction_*``, are skipped:
  the version before them stays in force (date-only edits are "don't care" in bench/ota.py too,
  and some are a copyright year in a footer line OTA kept). A ``revert_to_*`` is a boundary back
  to the earlier version's identity.
* Wayback and official-archive texts (``wayback_text``, ``official_archive_text``): every file.
* A text under a quarter of the company's median length is another page OTA recorded at the URL
  (Allrecipes' 2024 homepage): skipped.
* Consecutive versions whose words are equal once Markdown punctuation, link targets, spacing and
  case are dropped are one version (the first one's text is served).

What the generator puts in front of an extractor:

* templates (``TEMPLATES``): a 2000s table layout; a div layout with a rotating "Latest news"
  sidebar; a modern app shell whose navigation is sometimes replaced by a promo strip; a page
  carrying JSON state, CSRF nonces and build ids; an article with "Sources"/"History" tab buttons
  under the policy; a help centre with breadcrumbs and related articles; a blog/CMS layout with
  recent posts, a growing archive list and testimonials; a legal hub with a column of legal
  documents, maintenance notices and trending searches;
* chrome on its own schedule: weekly headlines, A/B experiment banners, consent banners in the
  site's language, tokens and nonces per capture, build ids per deploy (hashed class names change
  with them), copyright years, view counters, "last visited" widgets, rotating testimonials;
* noise in the policy that is not a change: U+FFFD characters that come and go, lists re-marked
  as paragraphs with every word kept, markup and whitespace reshuffles, template switches;
* captures that are not the policy: bot challenges, soft 404s, the homepage served at the policy
  URL, login walls, region choosers, maintenance pages.

bench/heldout_templates.py holds further template families and chrome kinds, generated from a
different seed, for the held-out score only.
"""

from __future__ import annotations

import csv
import html
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"
if not REALDATA.exists():  # a worktree beside /work/main
    REALDATA = Path("/work/shared/realdata")

TUNED_SEED = 1_301
SKIP_HINTS = ("format_only", "dates_or_numbers_only", "tosback_era_flat_text", "mass_reextraction")


# --------------------------------------------------------------------------------------------- real versions
@dataclass(frozen=True)
class History:
    company: str
    url: str
    texts: tuple[str, ...]  # the substantive versions, in order (a revert repeats an earlier text)
    ids: tuple[int, ...]  # the version identity of each (equal words, equal id)


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARK = re.compile(r"[#*_>|`\\=-]+")


def words_of(text: str) -> str:
    """The words of a Markdown-like text: what decides whether two versions are one."""
    return " ".join(_MARK.sub(" ", _LINK.sub(r"\1", html.unescape(text))).casefold().split())


def load_histories(root: Path = REALDATA, max_versions: int = 14) -> list[History]:
    rows = list(csv.DictReader(open(root / "manifest.csv", encoding="utf-8")))
    by: dict[str, list[dict]] = {}
    for r in rows:
        if r["kind"] == "version_md":
            if r["commit_type"] not in ("first", "change") or r["noise_hint"].startswith(SKIP_HINTS):
                continue
        elif r["kind"] not in ("wayback_text", "official_archive_text"):
            continue
        by.setdefault(r["company"], []).append(r)
    out = []
    for company, rs in sorted(by.items()):
        rs.sort(key=lambda r: r["timestamp"])
        read = [(root / r["file"]).read_text(encoding="utf-8") for r in rs]
        sizes = sorted(len(words_of(t)) for t in read)
        texts, ids, seen = [], [], {}
        for text in read:
            key = words_of(text)
            if len(key) < max(800, sizes[len(sizes) // 2] // 4):  # another page OTA recorded (a homepage)
                continue
            vid = seen.setdefault(key, len(seen))
            if ids and ids[-1] == vid:
                continue
            texts.append(text)
            ids.append(vid)
        if len(texts) >= 2:
            out.append(History(company, rs[0]["url"], tuple(texts[:max_versions]), tuple(ids[:max_versions])))
    return out


# --------------------------------------------------------------------------------------------- Markdown -> HTML
@dataclass
class Noise:
    """How one capture renders the policy: noise that is not a change of its words."""

    lists_as_paragraphs: bool = False  # bullets dropped, every item its own <p>
    fffd: int = 0  # U+FFFD characters inserted next to spaces (broken bytes)
    wrap_spans: bool = False  # paragraphs' text wrapped in spans / font tags
    heading_shift: int = 0  # h2 -> h3 ...
    br_lines: bool = False  # some sentences split by <br>
    indent: str = ""  # source whitespace between tags
    seed: int = 0


_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_ITEM = re.compile(r"^(\s*)(?:[*+-]|\d+\\?[.)])\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_ESC = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _inline(s: str) -> str:
    s = s.strip()
    parts, pos = [], 0
    for m in _LINK.finditer(s):
        parts.append(html.escape(_ESC.sub(r"\1", s[pos : m.start()]), quote=False))
        target = m.group(0)[m.group(0).rfind("](") + 2 : -1]
        if m.group(0).startswith("!"):
            parts.append(f'<img src="{html.escape(target)}" alt="">')
        else:
            label = html.escape(_ESC.sub(r"\1", m.group(1)), quote=False)
            parts.append(f'<a href="{html.escape(target)}">{label}</a>')
        pos = m.end()
    parts.append(html.escape(_ESC.sub(r"\1", s[pos:]), quote=False))
    out = "".join(parts)
    return _BOLD.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", out)


def blocks_of(text: str) -> list[tuple]:
    """Markdown-like text -> [("h", level, text) | ("p", text) | ("ul"/"ol", [items]) | ("table", rows)]."""
    text = html.unescape(text)  # the Wayback texts carry entities (&amp;, &nbsp;) as text
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[tuple] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(("p", " ".join(x.strip() for x in para)))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if not s:
            flush()
        elif m := _ATX.match(s):
            flush()
            if m.group(2):
                out.append(("h", len(m.group(1)), m.group(2)))
        elif nxt and _SETEXT.match(nxt) and not para and not _ITEM.match(line):
            out.append(("h", 1 if nxt.startswith("=") else 2, s))
            i += 1
        elif _SETEXT.match(s) and len(s) >= 3:
            flush()
        elif s.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                r = lines[i].strip()
                if not _SEP.match(r):
                    rows.append([c.strip() for c in r.strip("|").split("|")])
                i += 1
            if rows:
                out.append(("table", rows))
            continue
        elif m := _ITEM.match(line):
            flush()
            kind = "ol" if s[0].isdigit() else "ul"
            items = [m.group(2)]
            i += 1
            while i < len(lines):
                s2 = lines[i]
                if m2 := _ITEM.match(s2):
                    items.append(m2.group(2))
                elif s2.strip() and s2.startswith("  ") and items:
                    items[-1] += " " + s2.strip()
                elif not s2.strip() and i + 1 < len(lines) and _ITEM.match(lines[i + 1]):
                    pass
                else:
                    break
                i += 1
            out.append((kind, items))
            continue
        else:
            para.append(s)
        i += 1
    flush()
    return out


def render_policy(blocks: list[tuple], noise: Noise) -> str:
    rng = random.Random(noise.seed)
    nl = "\n" + noise.indent
    parts: list[str] = []

    def para(t: str) -> str:
        body = _inline(t)
        if noise.br_lines and ". " in body and rng.random() < 0.3:
            body = body.replace(". ", ".<br>\n", 1)
        if noise.wrap_spans:
            wrap = rng.choice(("<span>{}</span>", '<font face="Verdana">{}</font>', '<span class="s1">{}</span>'))
            body = wrap.format(body)
        return body

    for b in blocks:
        if b[0] == "h":
            level = min(6, b[1] + 1 + noise.heading_shift)
            parts.append(f"<h{level}>{_inline(b[2])}</h{level}>")
        elif b[0] == "p":
            parts.append(f"<p>{para(b[1])}</p>")
        elif b[0] in ("ul", "ol"):
            if noise.lists_as_paragraphs:
                parts.extend(f"<p>{para(it)}</p>" for it in b[1])
            else:
                items = nl.join(f"<li>{para(it)}</li>" for it in b[1])
                parts.append(f"<{b[0]}>{nl}{items}{nl}</{b[0]}>")
        elif b[0] == "table":
            head, *rest = b[1]
            th = "".join(f"<th>{_inline(c)}</th>" for c in head)
            trs = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in rest)
            parts.append(f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>")
    out = nl.join(parts)
    for _ in range(noise.fffd):  # a stray byte the decoder could not read, next to a space
        spaces = [m.start() for m in re.finditer(r"(?<=[a-z,.]) (?=[a-z])", out[:20000])]
        if spaces:
            at = rng.choice(spaces)
            out = out[:at] + rng.choice((" \ufffd", "\ufffd ")) + out[at + 1 :]
    return out


def oracle_text(fragment: str) -> str:
    """The words of a rendered policy fragment: every text node, spaced, U+FFFD dropped."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return " ".join(" ".join(root.itertext()).replace("\ufffd", " ").split())


# --------------------------------------------------------------------------------------------- names
ROLE_WORDS = {
    "main": ["content", "main", "article", "page-body", "entry", "post", "doc", "copy", "primary", "body-text"],
    "side": ["sidebar", "aside", "rail", "side-col", "secondary", "sb", "column-right", "extra", "right", "col2"],
    "nav": ["nav", "menu", "topnav", "navigation", "gnb", "header-links", "mainmenu", "links", "hdr-nav"],
    "news": ["news", "latest", "headlines", "updates", "whatsnew", "stories", "feed", "ticker-list"],
    "banner": ["banner", "promo", "notice", "strip", "announcement", "callout", "alert-bar", "hero-msg"],
    "foot": ["footer", "foot", "bottom", "site-info", "colophon", "legal-bar", "ftr"],
    "consent": ["cookie", "consent", "gdpr", "privacy-bar", "cc-window", "cookie-notice", "optin"],
    "box": ["box", "widget", "panel", "card", "module", "block", "tile", "well"],
    "tabs": ["tabs", "tablist", "switcher", "segmented", "pills", "tab-bar"],
    "crumbs": ["breadcrumb", "crumbs", "trail", "path", "you-are-here", "bc"],
    "related": ["related", "more-articles", "see-also", "suggested", "next-reads", "recommended"],
    "quote": ["testimonial", "quote", "review", "kudos", "voice", "praise"],
    "counter": ["counter", "hits", "views", "stat", "meta-count"],
}
ALNUM = string.ascii_lowercase + string.digits


class Names:
    """Class names for a site's roles, from one of several vocabularies (hashed ones change per build)."""

    STYLES = ("semantic", "bem", "utility", "hashed", "framework", "abbrev")

    def __init__(self, rng: random.Random, style: str | None = None):
        self.style = style or rng.choice(self.STYLES)
        self.words = {role: rng.choice(ws) for role, ws in ROLE_WORDS.items()}
        self.prefix = rng.choice(("c-", "js-", "site-", "", "l-", "o-", "x-"))
        self.salt = rng.randrange(10**6)

    def __call__(self, role: str, build: str = "") -> str:
        w = self.words.get(role, role)
        if self.style == "semantic":
            return w
        if self.style == "bem":
            return f"{self.prefix}{w}__inner {self.prefix}{w}"
        if self.style == "utility":
            r = random.Random(f"{self.salt}{role}")
            return " ".join(r.sample(["flex", "grid", "mt-4", "px-2", "md:w-1/4", "text-sm", "gap-3", "hidden md:block",
                                      "items-center", "bg-gray-50", "rounded", "p-6", "max-w-3xl", "mx-auto"], 3))
        if self.style == "hashed":  # CSS-in-JS: a new hash with every build
            r = random.Random(f"{self.salt}{role}{build}")
            return r.choice(("css-", "sc-", "_", "jsx-", "e1")) + "".join(r.choice(ALNUM) for _ in range(6))
        if self.style == "framework":
            r = random.Random(f"{self.salt}{role}")
            return r.choice(("col-md-", "pure-u-1-", "span", "col-lg-", "grid__item w-")) + str(r.randint(2, 9))
        return "".join(p[0] for p in w.split("-")) + str(self.salt % 7 or "")


# --------------------------------------------------------------------------------------------- chrome vocabularies
CITIES = ["Lisbon", "Austin", "Nairobi", "Osaka", "Dublin", "Toronto", "Berlin", "Sao Paulo", "Melbourne", "Seoul",
          "Warsaw", "Bangalore", "Oslo", "Lagos", "Denver", "Madrid", "Singapore", "Lyon", "Utrecht", "Cape Town"]
THINGS = ["dark mode", "group calls", "offline maps", "a redesigned inbox", "two-step login", "shared albums",
          "voice notes", "smart replies", "the new dashboard", "family plans", "video profiles", "event tickets",
          "travel mode", "widgets", "faster search", "accessibility settings", "gift cards", "a web version"]
PEOPLE = ["students", "small businesses", "nurses", "teachers", "musicians", "runners", "designers", "farmers",
          "parents", "developers", "chefs", "photographers", "volunteers", "librarians"]
HEADLINE_FORMS = [
    "{co} opens new office in {city}", "Introducing {thing}", "How {people} use {co} every day",
    "{co} {n}.{m} brings {thing}", "Q{q} {year} results: {p}% growth", "Meet the team behind {thing}",
    "{co} partners with {city} transit", "Now available in {city}", "{n} tips for {people}",
    "Celebrating {n} million members", "Behind the scenes: {thing}", "Our {year} community awards",
    "{co} named a top employer in {city}", "Rolling out {thing} to everyone", "Ask us anything about {thing}",
]
FIRST = ["Anna", "Ravi", "Chen", "Maria", "Tom", "Aisha", "Lukas", "Sofia", "Kwame", "Yuki", "Pedro", "Ines", "Omar"]
QUOTES = ["Best app I've used in years.", "Support answered in minutes!", "Changed how our team works.",
          "Simple, fast, and it just works.", "I recommend it to all my friends.", "Worth every penny.",
          "Finally an app that respects my time.", "Five stars, no question.", "The update made it even better."]
CHROME_LANG = {
    "en": {"news": "Latest news", "cookie": "We use cookies to improve your experience.", "accept": "Accept all",
           "reject": "Reject", "settings": "Cookie settings", "home": "Home", "legal": "Legal", "search": "Search",
           "visited": "You last visited on", "views": "views", "rights": "All rights reserved.",
           "related": "Related articles", "help": "Help Centre", "more": "Read more", "login": "Log in",
           "signup": "Sign up", "posts": "Recent posts", "archives": "Archives", "said": "What our users say"},
    "de": {"news": "Aktuelles", "cookie": "Wir verwenden Cookies, um Ihr Erlebnis zu verbessern.",
           "accept": "Alle akzeptieren", "reject": "Ablehnen", "settings": "Cookie-Einstellungen", "home": "Startseite",
           "legal": "Rechtliches", "search": "Suche", "visited": "Ihr letzter Besuch:", "views": "Aufrufe",
           "rights": "Alle Rechte vorbehalten.", "related": "Verwandte Artikel", "help": "Hilfe-Center",
           "more": "Weiterlesen", "login": "Anmelden", "signup": "Registrieren", "posts": "Neueste Beiträge",
           "archives": "Archiv", "said": "Das sagen unsere Nutzer"},
    "fr": {"news": "Actualités", "cookie": "Nous utilisons des cookies pour améliorer votre expérience.",
           "accept": "Tout accepter", "reject": "Refuser", "settings": "Paramètres des cookies", "home": "Accueil",
           "legal": "Mentions légales", "search": "Rechercher", "visited": "Dernière visite le", "views": "vues",
           "rights": "Tous droits réservés.", "related": "Articles associés", "help": "Centre d'aide",
           "more": "Lire la suite", "login": "Connexion", "signup": "Inscription", "posts": "Articles récents",
           "archives": "Archives", "said": "Ils parlent de nous"},
    "es": {"news": "Novedades", "cookie": "Usamos cookies para mejorar tu experiencia.", "accept": "Aceptar todo",
           "reject": "Rechazar", "settings": "Configuración de cookies", "home": "Inicio", "legal": "Legal",
           "search": "Buscar", "visited": "Tu última visita:", "views": "visitas",
           "rights": "Todos los derechos reservados.", "related": "Artículos relacionados",
           "help": "Centro de ayuda", "more": "Leer más", "login": "Iniciar sesión", "signup": "Registrarse",
           "posts": "Entradas recientes", "archives": "Archivo", "said": "Lo que dicen nuestros usuarios"},
}
NAV_ITEMS = ["Home", "Products", "Pricing", "About", "Blog", "Careers", "Press", "Support", "Developers", "Community",
             "Safety", "Download", "Business", "Stories", "Partners", "Contact"]


# --------------------------------------------------------------------------------------------- a capture's context
@dataclass
class Site:
    name: str
    url: str
    company: str  # the real company whose texts it serves
    family: str  # "tuned" | "heldout"
    seed: int
    lang: str
    names: Names
    captures: list[Capture] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    oracle_mismatches: int = 0  # policy renders whose words differ from their version's (a generator bug)


@dataclass
class Capture:
    timestamp: str
    body: bytes
    policy: bool
    version: int | None  # ground-truth version identity (None: not the policy)
    template: str
    kind: str  # "policy" | "challenge" | "soft404" | "homepage" | "login" | "region" | "maintenance"
    noise: Noise | None = None  # how the policy was rendered (policy captures)


@dataclass
class Ctx:
    """What a template needs to render one capture."""

    site: Site
    when: datetime
    policy_html: str
    rng: random.Random  # per capture: tokens, A/B flips
    build: str  # the deploy in force (changes every few weeks)
    brand: str

    @property
    def week(self) -> int:
        return int(self.when.timestamp() // (7 * 86400))

    @property
    def day(self) -> int:
        return int(self.when.timestamp() // 86400)

    def period_rng(self, kind: str, period: int | str) -> random.Random:
        return random.Random(f"{self.site.seed}:{kind}:{period}")

    def t(self, key: str) -> str:
        return CHROME_LANG[self.site.lang][key]

    def cls(self, role: str) -> str:
        return self.site.names(role, self.build)

    def token(self, n: int = 32, alphabet: str = ALNUM + string.ascii_uppercase) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))


def headline(r: random.Random, brand: str, year: int) -> str:
    return r.choice(HEADLINE_FORMS).format(co=brand, city=r.choice(CITIES), thing=r.choice(THINGS),
                                           people=r.choice(PEOPLE), n=r.randint(2, 12), m=r.randint(0, 9),
                                           q=r.randint(1, 4), year=year, p=r.randint(3, 60))


def slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


# --------------------------------------------------------------------------------------------- chrome pieces (tuned)
def latest_news(c: Ctx, n: int = 5) -> str:
    """Weekly rotating headlines, as links in a list."""
    r = c.period_rng("news", c.week)
    items = "".join(f'<li><a href="/news/{slug(h)}">{html.escape(h)}</a></li>'
                    for h in (headline(r, c.brand, c.when.year) for _ in range(n)))
    tag = c.period_rng("news-tag", c.build).choice(("h3", "h4", "div", "h2", "strong"))
    return f'<div class="{c.cls("news")}"><{tag}>{c.t("news")}</{tag}><ul>{items}</ul></div>'


def consent(c: Ctx) -> str:
    """A consent banner whose wording is revised every few months (and only shown on some captures)."""
    if c.when.year < 2012 or c.rng.random() < 0.3:
        return ""
    r = c.period_rng("consent", c.day // 120)
    extra = r.choice(("", " See our Cookie Policy.", " You can change your choice at any time.",
                      " Some cookies are needed for the site to work.", f" ({r.randint(12, 180)} partners)"))
    return (f'<div class="{c.cls("consent")}" role="dialog"><p>{c.t("cookie")}{extra}</p>'
            f'<button>{c.t("accept")}</button><button>{c.t("reject")}</button>'
            f'<a href="#prefs">{c.t("settings")}</a></div>')


def experiment_banner(c: Ctx) -> str:
    """An A/B experiment: each capture lands in a bucket; experiments come and go."""
    period = c.day // 45
    r = c.period_rng("exp", period)
    if r.random() < 0.4:
        return ""
    arm = c.rng.random() < 0.5
    offers = [f"Get {r.randint(10, 60)}% off {r.choice(('Premium', 'Plus', 'Pro', 'Gold'))} this week",
              f"Try {r.choice(THINGS)} free for {r.choice((7, 14, 30))} days",
              f"Join {r.randint(2, 90)} million people on {c.brand}"]
    text = offers[period % 3] if arm else offers[(period + 1) % 3]
    return (f'<div class="{c.cls("banner")}" data-experiment="exp-{period}-{"a" if arm else "b"}">'
            f'<span>{html.escape(text)}</span> <a href="/upgrade">{c.t("more")} &rarr;</a></div>')


def copyright_footer(c: Ctx, links: bool = True) -> str:
    r = c.period_rng("foot", c.when.year)
    ls = " | ".join(f'<a href="/{slug(x)}">{x}</a>' for x in r.sample(
        ["Privacy", "Terms", "Cookies", "Imprint", "Accessibility", "Sitemap", "Contact", "Jobs", "Investors"], 5))
    return (f'<div class="{c.cls("foot")}">{ls if links else ""}<p>&copy; {c.when.year} {c.brand}, Inc. '
            f'{c.t("rights")}</p></div>')


def view_counter(c: Ctx) -> str:
    n = 1000 + (c.day - 11000) * 37 + c.rng.randrange(30)
    return f'<span class="{c.cls("counter")}">{n:,} {c.t("views")}</span>'


def last_visited(c: Ctx) -> str:
    back = c.when - timedelta(days=c.rng.randint(1, 40))
    return f'<div class="{c.cls("box")}">{c.t("visited")} {back:%d.%m.%Y %H:%M}</div>'


def testimonials(c: Ctx) -> str:
    r = c.rng
    q = r.choice(QUOTES)
    return (f'<div class="{c.cls("quote")}"><h4>{c.t("said")}</h4><blockquote>&ldquo;{q}&rdquo;'
            f'<cite>{r.choice(FIRST)} {r.choice(string.ascii_uppercase)}., {r.choice(CITIES)}</cite>'
            f'</blockquote></div>')


def nav(c: Ctx, n: int = 6) -> str:
    r = c.period_rng("nav", c.day // 200)
    items = "".join(f'<li><a href="/{slug(x)}">{x}</a></li>' for x in r.sample(NAV_ITEMS, n))
    return f'<nav class="{c.cls("nav")}"><ul>{items}</ul></nav>'


def promo_strip(c: Ctx) -> str:
    r = c.period_rng("promo", c.day // 30)
    where = r.choice(("on the web", "on your desktop", "in your browser", "on your watch"))
    tail = r.choice(("No download required", "Free for everyone", "Available now", "Sign in with your account"))
    return (f'<div class="{c.cls("banner")}"><span>NEW</span> · <a href="/web">Try it {where}</a> · '
            f'<span>{tail}</span></div>')


def tokens_hidden(c: Ctx) -> str:
    return (f'<input type="hidden" name="csrf_token" value="{c.token(40)}">'
            f'<input type="hidden" name="_nonce" value="{c.token(16)}">')


def breadcrumbs(c: Ctx, title: str) -> str:
    sep = c.period_rng("crumb-sep", c.build).choice(("›", "/", "&gt;", "»"))
    return (f'<ol class="{c.cls("crumbs")}"><li><a href="/">{c.t("home")}</a></li><li>{sep}</li>'
            f'<li><a href="/help">{c.t("help")}</a></li><li>{sep}</li><li><a href="/legal">{c.t("legal")}</a></li>'
            f'<li>{sep}</li><li>{title}</li></ol>')


RELATED = ["How do I delete my account?", "Managing your notification settings", "How to download your data",
           "Changing your email address", "Reporting a problem", "Two-step verification", "Blocking someone",
           "Why was my account suspended?", "Updating payment details", "Using location features",
           "How we keep your account safe", "Cancelling a subscription", "Contacting support",
           "Data requests from law enforcement", "Accessibility features", "Linking other accounts"]


def related_articles(c: Ctx) -> str:
    r = c.period_rng("related", c.day // 10)
    items = "".join(f'<li><a href="/help/{slug(x)}">{x}</a></li>' for x in r.sample(RELATED, r.randint(3, 6)))
    return f'<section class="{c.cls("related")}"><h3>{c.t("related")}</h3><ul>{items}</ul></section>'


def tab_buttons(c: Ctx) -> str:
    labels = ["Sources", "History"] + c.period_rng("tabs", c.day // 90).sample(["Talk", "Print", "Share", "Edit"], 1)
    edited = c.rng.randint(1, 300)
    return (f'<div class="{c.cls("tabs")}" role="tablist">'
            + "".join(f'<button role="tab" aria-selected="{"true" if i == 0 else "false"}">{x}</button>'
                      for i, x in enumerate(labels))
            + f'</div><div role="tabpanel" hidden><p>Edited {edited} days ago</p></div>')


def share_bar(c: Ctx) -> str:
    """Share buttons inside the post body, with a share count."""
    nets = c.period_rng("share", c.build).sample(["Twitter", "Facebook", "LinkedIn", "Email", "Print", "Reddit"], 4)
    return (f'<div class="{c.cls("box")} sharing"><h3>Share this:</h3>'
            + "".join(f'<a href="#share-{n.lower()}">{n}</a>' for n in nets)
            + f"<span>{c.rng.randint(0, 40) + (c.day - 11000) // 60} shares</span></div>")


def recent_posts(c: Ctx) -> str:
    r = c.period_rng("posts", c.day // 5)
    items = "".join(f'<li><a href="/blog/{slug(h)}">{html.escape(h)}</a> <small>{(c.when - timedelta(days=i*3)):%b %d}'
                    f'</small></li>' for i, h in enumerate(headline(r, c.brand, c.when.year) for _ in range(4)))
    return f'<aside class="{c.cls("box")}"><h3>{c.t("posts")}</h3><ul>{items}</ul></aside>'


def archive_months(c: Ctx) -> str:
    """A blog's archive list: one more month every month."""
    months, d = [], c.when.replace(day=1)
    for _ in range(min(24, 6 + (c.day - 12000) // 30 % 18)):
        months.append(f'<li><a href="/{d:%Y/%m}">{d:%B %Y}</a></li>')
        d = (d - timedelta(days=1)).replace(day=1)
    return f'<aside class="{c.cls("box")}"><h3>{c.t("archives")}</h3><ul>{"".join(months)}</ul></aside>'


# --------------------------------------------------------------------------------------------- templates (tuned)
def head(c: Ctx, title: str, extra: str = "") -> str:
    return (f'<head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="stylesheet" href="/static/{c.build}/site.css">{extra}</head>')


def t_table2000s(c: Ctx) -> str:
    """2000s table layout: image header, left link column, hit counter, font tags."""
    links = "<br>".join(f'<a href="/{slug(x)}.html"><font size="2">{x}</font></a>'
                        for x in c.period_rng("nav", c.day // 300).sample(NAV_ITEMS, 7))
    hits = f"{100000 + (c.day - 11000) * 211 + c.rng.randrange(200):07d}"
    return (f"<html>{head(c, f'{c.brand} - Privacy Policy')}<body bgcolor=\"#ffffff\">"
            f'<table width="760" border="0" cellpadding="0" cellspacing="0" align="center">'
            f'<tr><td colspan="3"><img src="/img/header_{c.when.year}.gif" alt="{c.brand}" width="760"></td></tr>'
            f'<tr><td width="150" valign="top" bgcolor="#eeeeee">{links}<br><br>'
            f'<font size="1">You are visitor no. {hits}</font></td>'
            f'<td width="10">&nbsp;</td><td width="600" valign="top"><font face="Arial, Helvetica">'
            f"{c.policy_html}</font></td></tr>"
            f'<tr><td colspan="3" align="center"><font size="1">Copyright &copy; 1999-{c.when.year} {c.brand}. '
            f'{c.t("rights")} <a href="/terms.html">Terms</a></font></td></tr></table></body></html>')


def t_div_sidebar(c: Ctx) -> str:
    """Div layout: header nav, content column, sidebar with weekly headlines and a testimonial."""
    side = latest_news(c) + (testimonials(c) if c.rng.random() < 0.6 else "")
    main_id = c.site.names.words["main"]
    order = c.period_rng("order", c.build).random() < 0.5
    content = f'<div id="{main_id}" class="{c.cls("main")}">{c.policy_html}</div>'
    sidebar = f'<div class="{c.cls("side")}">{side}</div>'
    return (f'<!DOCTYPE html><html lang="{c.site.lang}">{head(c, f"Privacy Policy | {c.brand}")}<body>'
            f'<div id="wrap"><div id="header"><a href="/" class="logo">{c.brand}</a>{nav(c)}</div>'
            f'<div id="columns">{content + sidebar if order else sidebar + content}</div>'
            f"{copyright_footer(c)}</div>{consent(c)}</body></html>")


def t_app_shell(c: Ctx) -> str:
    """Modern app shell: the navigation is replaced by a promo strip during campaigns."""
    campaign = c.period_rng("campaign", c.day // 60).random() < 0.5
    top = promo_strip(c) if campaign else nav(c, 5)
    return (f'<!doctype html><html lang="{c.site.lang}">'
            f'{head(c, f"{c.brand} Privacy", f"<script src=/_app/{c.build}/main.js defer></script>")}'
            f'<body><div id="root"><div class="{c.cls("banner")}-wrap">{top}</div>'
            f'<header><a href="/">{c.brand}</a><a href="/login">{c.t("login")}</a>'
            f'<a href="/signup" class="btn">{c.t("signup")}</a></header>'
            f'{experiment_banner(c)}<main><div class="{c.cls("main")}">{c.policy_html}</div></main>'
            f'<div class="{c.cls("box")}"><a href="/ios">App Store</a><a href="/android">Google Play</a></div>'
            f"{copyright_footer(c)}{consent(c)}</div></body></html>")


def t_json_state(c: Ctx) -> str:
    """A server-rendered SPA page: JSON state, CSRF meta, nonces, build ids in attributes."""
    import json

    state = {"props": {"pageProps": {"slug": "privacy", "locale": c.site.lang, "flags": {
        "newNav": c.rng.random() < 0.5, "exp": c.rng.randrange(9)}}}, "buildId": c.build,
        "query": {}, "nonce": c.token(22), "session": {"anon": c.token(12)}, "ts": int(c.when.timestamp())}
    nonce = c.token(24)
    return (f'<!DOCTYPE html><html>{head(c, "Privacy Policy", f"<meta name=csrf-token content={c.token(44)}>")}'
            f'<body><div id="__app" data-build="{c.build}" data-rendered="{c.when.isoformat()}">'
            f'<header class="{c.cls("nav")}"><a href="/">{c.brand}</a>{nav(c, 4)}</header>'
            f'<div class="{c.cls("main")}"><div class="{c.cls("box")}">{c.policy_html}</div></div>'
            f"{copyright_footer(c, links=False)}</div>{tokens_hidden(c)}"
            f'<script id="__STATE__" type="application/json" nonce="{nonce}">{json.dumps(state)}</script>'
            f'<script nonce="{nonce}">window.__BUILD__="{c.build}";window.__T={c.rng.random():.6f};</script>'
            f"{consent(c)}</body></html>")


def t_tabs(c: Ctx) -> str:
    """A wiki-like article with tab buttons ("Sources", "History") under the policy and a view counter."""
    return (f'<html>{head(c, f"Privacy policy - {c.brand}")}<body>'
            f'<div id="top">{nav(c, 5)}<form action="/search"><input name="q" placeholder="{c.t("search")}">'
            f"<button>{c.t('search')}</button></form></div>"
            f'<div id="bodyContent"><article class="{c.cls("main")}">{c.policy_html}</article>'
            f"{tab_buttons(c)}<p>{view_counter(c)}</p></div>"
            f"{copyright_footer(c)}</body></html>")


def t_help_centre(c: Ctx) -> str:
    """A help centre: breadcrumbs, search, the article, related articles, a last-visited widget."""
    title = f"Privacy Policy – {c.brand} {c.t('help')}"
    return (f'<!DOCTYPE html><html lang="{c.site.lang}">{head(c, title)}'
            f'<body><header class="{c.cls("nav")}"><a href="/hc">{c.brand} {c.t("help")}</a>'
            f'<form role="search"><input type="search" placeholder="{c.t("search")}"></form></header>'
            f'<div class="{c.cls("main")}">{breadcrumbs(c, "Privacy Policy")}'
            f'<div class="{c.cls("box")}"><div class="article-author"><span>{c.brand} Support</span> · '
            f'Updated {c.rng.randint(2, 11)} {c.rng.choice(("days", "months"))} ago · <button>Follow</button></div>'
            f'<div class="article-body">{c.policy_html}</div></div>'
            f'{related_articles(c)}{last_visited(c) if c.rng.random() < 0.5 else ""}</div>'
            f"{copyright_footer(c)}{consent(c)}</body></html>")


def t_blog_cms(c: Ctx) -> str:
    """A CMS page: recent posts, a growing monthly archive, testimonials, comment count."""
    comments = c.rng.randint(0, 3) + (c.day - 12000) // 200
    return (f'<!DOCTYPE html><html>{head(c, f"Privacy Policy &#8211; {c.brand}")}'
            f'<body class="page-template-default page-id-{c.site.seed % 997}"><div id="page">'
            f'<header id="masthead"><p class="site-title"><a href="/">{c.brand}</a></p>'
            f"<p class=\"site-description\">{c.period_rng('tag', c.when.year).choice(THINGS).capitalize()}</p>"
            f"{nav(c)}</header>"
            f'<div id="primary" class="{c.cls("main")}"><article class="page type-page status-publish">'
            f'<div class="entry-content">{c.policy_html}{share_bar(c)}</div>'
            f'<footer class="entry-footer"><a href="#comments">{comments} comments</a></footer></article></div>'
            f'<div id="secondary" class="{c.cls("side")}">{recent_posts(c)}{archive_months(c)}{testimonials(c)}</div>'
            f"{copyright_footer(c)}</div></body></html>")


LEGAL_DOCS = ["Terms of Service", "Privacy Policy", "Cookie Policy", "Community Guidelines", "Law Enforcement Guide",
              "Copyright Policy", "Accessibility Statement", "Modern Slavery Statement", "Sub-processors"]


def maintenance_bar(c: Ctx) -> str:
    """A notice about planned maintenance, shown in the weeks before it."""
    r = c.period_rng("maint", c.day // 21)
    if r.random() < 0.6:
        return ""
    when = c.when + timedelta(days=r.randint(1, 12))
    return (f'<div class="{c.cls("banner")}" role="status">Scheduled maintenance on {when:%A, %B %d} from '
            f"{r.randint(0, 4):02d}:00 to {r.randint(5, 8):02d}:00 UTC. Some features may be unavailable.</div>")


def trending_searches(c: Ctx) -> str:
    r = c.period_rng("trend", c.day // 4)
    terms = r.sample(RELATED + THINGS, 6)
    return (f'<div class="{c.cls("box")}"><span>Trending:</span> '
            + " ".join(f'<a href="/search?q={slug(t)}">{html.escape(t)}</a>' for t in terms) + "</div>")


def t_legal_hub(c: Ctx) -> str:
    """A legal hub: a column of every legal document, print/download buttons, maintenance notices, trending
    searches, a sticky "back to top" and a feedback email line with a ticket reference."""
    docs = "".join(f'<li{" class=active" if d == "Privacy Policy" else ""}><a href="/legal/{slug(d)}">{d}</a></li>'
                   for d in c.period_rng("docs", c.day // 365).sample(LEGAL_DOCS, 7))
    return (f'<!DOCTYPE html><html lang="{c.site.lang}">{head(c, f"{c.brand} Legal · Privacy Policy")}<body>'
            f"{maintenance_bar(c)}<header>{nav(c, 5)}{trending_searches(c)}</header>"
            f'<div class="{c.cls("side")}"><p>{c.t("legal")}</p><ul>{docs}</ul></div>'
            f'<div class="{c.cls("main")}"><div class="toolbar"><button onclick="print()">Print</button>'
            f'<a href="/legal/privacy.pdf" download>Download PDF</a></div>{c.policy_html}'
            f'<a href="#top" class="{c.cls("box")}">Back to top ↑</a></div>'
            f"{copyright_footer(c)}{consent(c)}</body></html>")


TEMPLATES: dict[str, tuple[int, Callable[[Ctx], str]]] = {  # name -> (era start year, render)
    "table2000s": (2000, t_table2000s),
    "div_sidebar": (2005, t_div_sidebar),
    "blog_cms": (2008, t_blog_cms),
    "tabs": (2010, t_tabs),
    "help_centre": (2012, t_help_centre),
    "json_state": (2015, t_json_state),
    "app_shell": (2016, t_app_shell),
    "legal_hub": (2011, t_legal_hub),
}
CHROME_KINDS = ("weekly headlines", "A/B experiment banner", "consent banner", "CSRF tokens and nonces",
                "build ids (hashed class names per build)", "copyright year", "view counter", "hit counter",
                "last-visited widget", "rotating testimonials", "promo strip replacing the nav",
                "tab buttons", "breadcrumbs", "related articles", "recent posts", "monthly archive list",
                "comment count", "rotating nav", "app-store links", "article 'Updated n days ago' line",
                "share buttons with a count", "maintenance notice", "trending searches", "legal-documents column")


# --------------------------------------------------------------------------------------------- not the policy
def challenge_page(c: Ctx) -> str:
    ray = c.token(16, "0123456789abcdef")
    if c.rng.random() < 0.5:
        return ("<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
                f"<h1>{c.site.url.split('/')[2]}</h1><h2>Checking if the site connection is secure</h2>"
                "<p>Enable JavaScript and cookies to continue</p>"
                f'<div class="footer">Ray ID: <code>{ray}</code> Performance &amp; security by Cloudflare</div>'
                f"<script>window._cf_chl_opt={{cRay:'{ray}'}}</script></body></html>")
    return ("<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>"
            f"<p>You don't have permission to access \"{c.site.url}\" on this server.</p>"
            f"<p>Reference #18.{c.token(8, '0123456789abcdef')}.{int(c.when.timestamp())}</p></body></html>")


def soft_404(c: Ctx, render: Callable[[Ctx], str]) -> str:
    c.policy_html = ("<h1>Page not found</h1><p>Sorry, we couldn't find the page you were looking for. "
                     f'It may have moved. Try the <a href="/">{c.t("home")}</a> page or search.</p>')
    return render(c)


def homepage(c: Ctx, render: Callable[[Ctx], str]) -> str:
    r = c.period_rng("home", c.day // 30)
    cards = "".join(f"<h3>{t.capitalize()}</h3><p>{c.brand} now has {t}. {r.choice(QUOTES)}</p>"
                    for t in r.sample(THINGS, 4))
    c.policy_html = f"<h1>Welcome to {c.brand}</h1><p>Meet new people, share moments.</p>{cards}"
    return render(c)


def region_chooser(c: Ctx) -> str:
    regions = ["United States", "United Kingdom", "Deutschland", "France", "España", "Italia", "Nederlands",
               "Brasil", "日本", "India", "Australia", "Canada (English)", "Canada (Français)"]
    links = "".join(f'<li><a href="/{slug(x) or "jp"}/privacy">{x}</a></li>' for x in regions)
    return (f"<html><head><title>{c.brand} – Choose your region</title></head><body>"
            f"<h1>Choose your country or region</h1><ul>{links}</ul></body></html>")


def maintenance_page(c: Ctx) -> str:
    return (f"<html><head><title>{c.brand} is down for maintenance</title></head><body><h1>We'll be back soon</h1>"
            f"<p>{c.brand} is undergoing scheduled maintenance. Please try again in a few minutes.</p>"
            f"<p>Incident {c.token(8)}</p></body></html>")


def login_wall(c: Ctx) -> str:
    return (f"<html><head><title>{c.t('login')} | {c.brand}</title></head><body><h1>{c.t('login')}</h1>"
            '<form method="post" action="/session"><input name="email" type="email">'
            f'<input name="password" type="password"><input type="hidden" name="csrf" value="{c.token(32)}">'
            f"<button>{c.t('login')}</button></form><p>Forgot password?</p></body></html>")


# --------------------------------------------------------------------------------------------- building a site
_BLOCK_END = re.compile(r"(</(?:p|li|ul|ol|div|h[1-6]|tr|table|section|header|nav|footer|article|aside|form)>)\s*")

def capture_times(rng: random.Random, start: datetime, n: int) -> list[datetime]:
    """Irregular times: mostly weekly to monthly, with bursts and gaps."""
    out, t = [], start
    for _ in range(n):
        x = rng.random()
        if x < 0.45:
            gap = timedelta(days=rng.uniform(4, 10))
        elif x < 0.75:
            gap = timedelta(days=rng.uniform(15, 40))
        elif x < 0.9:
            gap = timedelta(hours=rng.uniform(1, 40))  # a burst
        else:
            gap = timedelta(days=rng.uniform(60, 220))  # a gap
        t += gap
        out.append(t.replace(microsecond=0))
    return out


def build_site(
    history: History,
    index: int,
    seed: int,
    templates: dict[str, tuple[int, Callable[[Ctx], str]]],
    family: str,
    captures_per_version: float,
) -> Site:
    rng = random.Random(seed)
    lang = rng.choices(list(CHROME_LANG), weights=(6, 1, 1, 1))[0]
    brand = history.company.replace("-", " ").title().replace(" ", "") + rng.choice(("", "", " Inc", "ly", " Labs"))
    site = Site(f"{family}-{index:02d}-{history.company}", f"https://{family}{index:02d}.{slug(brand)}.example/"
                + rng.choice(("privacy", "legal/privacy", "privacy-policy", "en/privacy", "help/articles/privacy")),
                history.company, family, seed, lang, Names(rng))
    versions = list(zip(history.texts, history.ids))
    if len(versions) > 3 and rng.random() < 0.5:  # a window of the history
        start = rng.randrange(0, len(versions) - 2)
        versions = versions[start : start + rng.randint(3, 10)]
    n_pol = max(len(versions) * 2, int(len(versions) * captures_per_version * rng.uniform(0.6, 1.4)))
    # version change points: distinct capture indices, the first version at capture 0
    cuts = sorted(rng.sample(range(1, n_pol), len(versions) - 1))
    per_capture = [0] * n_pol
    for k, cut in enumerate(cuts, 1):
        for i in range(cut, n_pol):
            per_capture[i] = k
    names = list(templates)
    chosen = sorted(rng.sample(names, min(len(names), rng.randint(2, 4))), key=lambda n: templates[n][0])
    tcuts = sorted(rng.sample(range(1, n_pol), len(chosen) - 1))
    start = datetime(rng.randint(max(2001, templates[chosen[0]][0]), 2014), rng.randint(1, 12), 1, tzinfo=UTC)
    times = capture_times(rng, start, n_pol + n_pol // 8)
    nonpolicy = set(rng.sample(range(1, len(times)), len(times) - n_pol))
    blocks = [blocks_of(t) for t, _ in versions]
    # policy-side noise: epochs in which lists are paragraphs, a markup reshuffle, broken bytes
    list_epoch = {rng.randrange(len(chosen))} if rng.random() < 0.6 else set()
    # broken bytes: some sites have a stretch of captures where the decoder fails now and then
    bad = sorted(rng.sample(range(len(times)), 2)) if rng.random() < 0.5 else [0, 0]
    # ground truth from the words a clean render shows (a change invisible in HTML is no change)
    truth = [oracle_text(render_policy(b, Noise())) for b in blocks]
    ids: list[int] = []
    for k, text in enumerate(truth):
        ids.append(ids[-1] if k and text == truth[k - 1] else versions[k][1])
    site.templates = chosen
    deploy_every = rng.uniform(10, 60)
    depths = [rng.randint(0, 4) for _ in chosen]  # wrappers around the policy, per template epoch
    p = 0
    for i, when in enumerate(times):
        crng = random.Random(f"{seed}:{i}")
        ti = sum(1 for tc in tcuts if min(p, n_pol - 1) >= tc)
        tname = chosen[ti]
        render = templates[tname][1]
        build = f"{int(when.timestamp() // (deploy_every * 86400)) * 7919 % 16**7:07x}"
        ctx = Ctx(site, when, "", crng, build, brand)
        ts = when.strftime("%Y%m%d%H%M%S")
        if i in nonpolicy:
            kind = crng.choice(("challenge", "soft404", "homepage", "login", "challenge", "region", "maintenance"))
            if kind == "challenge":
                body = challenge_page(ctx)
            elif kind == "region":
                body = region_chooser(ctx)
            elif kind == "maintenance":
                body = maintenance_page(ctx)
            elif kind == "login":
                body = login_wall(ctx)
            else:
                body = (soft_404 if kind == "soft404" else homepage)(ctx, render)
            site.captures.append(Capture(ts, body.encode("utf-8"), False, None, tname, kind))
            continue
        v = per_capture[min(p, n_pol - 1)]
        p += 1
        noise = Noise(
            lists_as_paragraphs=(ti in list_epoch) ^ (crng.random() < 0.05),
            fffd=crng.choice((1, 2, 4)) if crng.random() < (0.5 if bad[0] <= i < bad[1] else 0.03) else 0,
            wrap_spans=crng.random() < 0.15,
            heading_shift=(ti + (crng.random() < 0.1)) % 2,
            br_lines=crng.random() < 0.1,
            indent=crng.choice(("", "  ", "\t", "\n")),
            seed=crng.randrange(10**9),
        )
        ctx.policy_html = render_policy(blocks[v], noise)
        for role in ("box", "main", "box", "side")[: depths[ti]]:
            ctx.policy_html = f'<div class="{site.names(role + "-in", build)}">{ctx.policy_html}</div>'
        if oracle_text(ctx.policy_html) != truth[v]:
            site.oracle_mismatches += 1
        body = render(ctx)
        if crng.random() < 0.2:  # whitespace after block ends reshuffled (a minifier, a pretty-printer)
            body = _BLOCK_END.sub(r"\1\n" if crng.random() < 0.5 else r"\1", body)
        site.captures.append(Capture(ts, body.encode("utf-8"), True, ids[v], tname, "policy", noise))
    return site


def build_sites(
    histories: list[History],
    n_sites: int,
    seed: int = TUNED_SEED,
    templates: dict | None = None,
    family: str = "tuned",
    captures_per_version: float = 6.0,
) -> list[Site]:
    """``n_sites`` sites, cycling through the real histories, each from its own seeded RNG."""
    templates = templates or TEMPLATES
    rng = random.Random(seed)
    order = list(histories)
    rng.shuffle(order)
    return [build_site(order[i % len(order)], i, rng.randrange(2**31), templates, family, captures_per_version)
            for i in range(n_sites)]
