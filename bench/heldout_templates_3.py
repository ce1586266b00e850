"""HELD-OUT family 3: page templates, chrome and capture schedules written by an independent author.

Whoever tunes the extractor must NOT read this file, its output or examples built from it: it is
here to give an honest figure on page layouts nobody tuned for. It reuses the real policy texts and
the ground-truth machinery of bench/histories.py (``load_histories``, ``blocks_of``, ``render_policy``
with its ``Noise``, ``oracle_text``) but builds its sites with its own schedule (``build_site3``):

* ten templates, each with its own markup habits (upper-case 1990s tables without classes, BEM,
  utility classes, CSS-module hashes that change per deploy, Vue-style ``data-v-`` attributes,
  AMP elements, no classes at all), the main content marked by ``<main>``, ``<article>``,
  ``role="main"``, an ``itemprop`` or nothing;
* redesigns: each site walks through 2-6 template epochs, some of them "twins" of the previous
  epoch where only the title line, breadcrumbs, a print link or a "last reviewed" date differ, and
  sometimes a redesign that is rolled back and then rolled out again;
* chrome on its own schedule (per capture, per day, per week, per deploy, per season) and chrome
  that changes once or twice in a site's life (an office address, a rebrand tagline, a new
  language in the switcher, a new social network in the footer);
* noise profiles for the policy's own rendering that change at template switches and, now and
  then, in the middle of an epoch (an editor re-saving the page);
* captures that are not the policy, most of them in the site's own template.

Run it to print the generator's self-checks: ``python bench/heldout_templates_3.py``.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import json
import random
import re
import string
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.histories import (  # noqa: E402
    Capture,
    Ctx,
    History,
    Names,
    Noise,
    Site,
    blocks_of,
    capture_times,
    oracle_text,
    render_policy,
)

SEED = 31_337_003
FAMILY = "held-out-3"

# --------------------------------------------------------------------------------------------- vocabularies
L3 = {
    "en": {"otp": "On this page", "reviewed": "Last reviewed", "print": "Print this page", "pdf": "Download PDF",
           "useful": "Was this article helpful?", "yes": "Yes", "no": "No", "closed": "Comments are closed.",
           "tags": "Tags", "by": "Posted by", "related": "You may also like", "online": "people online now",
           "letter": "Get our newsletter", "sub": "Subscribe", "jobs": "open positions", "menu": "Menu",
           "skip": "Skip to main content", "viewed": "Recently viewed", "chat": "Need help? Chat with us",
           "home": "Home", "search": "Search the help centre", "request": "Have more questions? Submit a request",
           "section": "Articles in this section", "docs": "Legal documents", "version": "Version",
           "accept": "Accept and continue", "manage": "Manage options", "gen": "Page generated in",
           "visitors": "visitors since", "updated": "Updated", "helpful": "found this helpful", "out": "out of",
           "login": "Sign in to continue", "notfound": "We can't find that page", "back": "Back to top"},
    "de": {"otp": "Auf dieser Seite", "reviewed": "Zuletzt geprüft", "print": "Seite drucken",
           "pdf": "PDF herunterladen",
           "useful": "War dieser Artikel hilfreich?", "yes": "Ja", "no": "Nein",
           "closed": "Kommentare sind geschlossen.",
           "tags": "Schlagwörter", "by": "Veröffentlicht von", "related": "Das könnte Sie auch interessieren",
           "online": "Personen gerade online", "letter": "Unser Newsletter", "sub": "Abonnieren",
           "jobs": "offene Stellen", "menu": "Menü", "skip": "Zum Hauptinhalt springen", "viewed": "Zuletzt angesehen",
           "chat": "Fragen? Chatten Sie mit uns", "home": "Startseite", "search": "Hilfe durchsuchen",
           "request": "Weitere Fragen? Anfrage senden", "section": "Artikel in diesem Abschnitt",
           "docs": "Rechtliche Dokumente", "version": "Fassung", "accept": "Zustimmen und weiter",
           "manage": "Einstellungen", "gen": "Seite erzeugt in", "visitors": "Besucher seit",
           "updated": "Aktualisiert", "helpful": "fanden dies hilfreich", "out": "von",
           "login": "Bitte anmelden, um fortzufahren", "notfound": "Seite nicht gefunden", "back": "Nach oben"},
    "fr": {"otp": "Sur cette page", "reviewed": "Dernière révision", "print": "Imprimer la page",
           "pdf": "Télécharger le PDF", "useful": "Cet article vous a-t-il été utile ?", "yes": "Oui", "no": "Non",
           "closed": "Les commentaires sont fermés.", "tags": "Étiquettes", "by": "Publié par",
           "related": "À lire aussi", "online": "personnes en ligne", "letter": "Recevez notre lettre",
           "sub": "S'abonner", "jobs": "postes ouverts", "menu": "Menu", "skip": "Aller au contenu principal",
           "viewed": "Consultés récemment", "chat": "Besoin d'aide ? Discutez avec nous", "home": "Accueil",
           "search": "Rechercher dans l'aide", "request": "Encore des questions ? Envoyez une demande",
           "section": "Articles de cette section", "docs": "Documents juridiques", "version": "Version",
           "accept": "Accepter et continuer", "manage": "Paramétrer", "gen": "Page générée en",
           "visitors": "visiteurs depuis", "updated": "Mis à jour", "helpful": "ont trouvé ceci utile",
           "out": "sur", "login": "Connectez-vous pour continuer", "notfound": "Page introuvable",
           "back": "Haut de page"},
    "es": {"otp": "En esta página", "reviewed": "Última revisión", "print": "Imprimir página",
           "pdf": "Descargar PDF", "useful": "¿Te resultó útil este artículo?", "yes": "Sí", "no": "No",
           "closed": "Los comentarios están cerrados.", "tags": "Etiquetas", "by": "Publicado por",
           "related": "También te puede interesar", "online": "personas conectadas", "letter": "Recibe nuestro boletín",
           "sub": "Suscribirse", "jobs": "vacantes abiertas", "menu": "Menú", "skip": "Saltar al contenido",
           "viewed": "Vistos recientemente", "chat": "¿Necesitas ayuda? Chatea con nosotros", "home": "Inicio",
           "search": "Buscar en la ayuda", "request": "¿Más preguntas? Envía una solicitud",
           "section": "Artículos de esta sección", "docs": "Documentos legales", "version": "Versión",
           "accept": "Aceptar y continuar", "manage": "Gestionar opciones", "gen": "Página generada en",
           "visitors": "visitantes desde", "updated": "Actualizado", "helpful": "lo encontraron útil",
           "out": "de", "login": "Inicia sesión para continuar", "notfound": "No encontramos esa página",
           "back": "Volver arriba"},
}
TICKERS = [("ACME", 41.2), ("GLBX", 118.5), ("INIT", 9.7), ("UMBR", 230.1), ("HOOL", 77.0), ("STRK", 512.4),
           ("WAYN", 64.9), ("CYBD", 15.3), ("OSCP", 3.2), ("VAND", 88.8)]
CITIES3 = ["Reykjavik", "Porto", "Hanoi", "Tallinn", "Accra", "Quito", "Perth", "Kraków", "Bilbao", "Tbilisi",
           "Kyoto", "Bergen", "Montevideo", "Ljubljana", "Kigali", "Halifax"]
POST_TITLES = ["{n} ways to get more out of {thing}", "Why we rebuilt {thing} from scratch", "A week with {thing}",
               "What's new in {month}", "Guest post: {person} on {thing}", "Our {year} roadmap",
               "Field notes from {city}", "Inside our {city} studio", "Release notes {n}.{m}",
               "The story of {thing}", "Community spotlight: {person}", "How we think about {thing}"]
FEATURES = ["smart folders", "offline sync", "shared calendars", "the mobile widget", "bulk export", "live captions",
            "audit logs", "single sign-on", "custom domains", "team spaces", "read receipts", "scheduled posts",
            "voice search", "quick replies", "auto-translate", "the plugin store"]
PERSONS = ["Hana Ito", "Luis Ortega", "Priya Nair", "Jonas Berg", "Amara Okafor", "Mei Lin", "Tomás Ruiz",
           "Elif Kaya", "Noah Fischer", "Zara Ahmed", "Finn Murphy", "Sara Costa"]
TAGS = ["security", "mobile", "design", "release", "community", "events", "tips", "api", "accessibility", "data",
        "open source", "partners", "education", "health", "travel", "music", "gaming", "finance", "sustainability"]
TESTIMONIALS = ["It replaced three tools for our team.", "Setup took five minutes.", "Our customers noticed.",
                "I can't imagine going back.", "Support is outstanding.", "Reliable for years now.",
                "The best money our studio spends.", "Clean, quick, and thoughtful."]
EVENTS = ["Summit", "DevDays", "Live", "World Tour", "Connect", "Forum"]
SEASONS = {(11, 12): "Holiday sale: {p}% off annual plans", (1,): "New year, new plan: {p}% off",
           (6, 7, 8): "Summer deal: {p}% off for {k} months", (9,): "Back to school: students save {p}%",
           (2,): "Share the love: gift a subscription", (3, 4, 5): "Spring cleaning: free storage upgrade"}
ARTICLES = ["Resetting your password", "Exporting your data", "Closing your account", "Managing devices",
            "Notification preferences", "Billing and invoices", "Two-factor authentication", "Reporting abuse",
            "Connecting third-party apps", "Parental controls", "Changing your username", "Data retention",
            "Location settings", "Ad preferences", "Cookie settings", "Requesting a copy of your data"]
LEGAL3 = ["Terms of Use", "Privacy Notice", "Cookie Notice", "Acceptable Use Policy", "Data Processing Addendum",
          "Transparency Report", "Imprint", "Brand Guidelines", "Security Statement", "Subprocessor List",
          "Refund Policy", "Community Standards"]
NAV3 = ["Features", "Solutions", "Customers", "Resources", "Enterprise", "Docs", "Status", "Events", "Partners",
        "Security", "About us", "Newsroom", "Careers", "Support", "Pricing", "Marketplace"]
GOV_NAV = {"About us": ["Who we are", "Our board", "Annual reports", "Freedom of information"],
           "Services": ["Apply online", "Permits", "Payments", "Appointments"],
           "Legal": ["Privacy", "Accessibility", "Terms and conditions", "Records management"],
           "News": ["Press releases", "Consultations", "Events"]}
LANGS3 = ["English", "Deutsch", "Français", "Español", "Italiano", "Nederlands", "Svenska", "Polski", "Türkçe",
          "Português", "日本語", "한국어"]
SOCIAL = ["Twitter", "Facebook", "YouTube", "LinkedIn", "Instagram", "TikTok", "Mastodon", "Threads"]
STREETS = ["Harbour Street", "Mill Lane", "Kingsway", "Rue de la Paix", "Hauptstraße", "Calle Mayor", "Canal Road"]
ALNUM = string.ascii_letters + string.digits


# --------------------------------------------------------------------------------------------- context
@dataclass
class Ctx3(Ctx):
    """A capture's context with this family's extras: the template variant and the rare-change schedule."""

    variant: dict = field(default_factory=dict)
    rare_at: dict = field(default_factory=dict)
    born: datetime | None = None  # the site's first capture

    def rare(self, key: str) -> int:
        """How many of this key's once-or-twice-in-a-lifetime changes have happened by now."""
        return bisect.bisect_right(self.rare_at.get(key, []), self.when)

    def w(self, key: str) -> str:
        return L3.get(self.site.lang, L3["en"]).get(key) or L3["en"][key]

    def h(self, part: str, n: int = 6) -> str:
        """A CSS-module style class name, hashed with the deploy."""
        dig = hashlib.md5(f"{self.site.seed}{part}{self.build}".encode()).hexdigest()
        return f"{part}_{dig[:n]}"


def _title(r: random.Random, c: Ctx3) -> str:
    return r.choice(POST_TITLES).format(n=r.randint(3, 12), m=r.randint(0, 9), thing=r.choice(FEATURES),
                                        month=(c.when - timedelta(days=r.randint(0, 40))).strftime("%B"),
                                        person=r.choice(PERSONS), year=c.when.year, city=r.choice(CITIES3))


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-") or "x"


def _heads(policy: str, n: int = 10) -> list[str]:
    out = []
    for m in re.finditer(r"<h([2-4])[^>]*>(.*?)</h\1>", policy, re.S):
        t = re.sub(r"<[^>]+>", "", m.group(2)).strip()
        if t:
            out.append(t)
    return out[:n]


# --------------------------------------------------------------------------------------------- chrome
def stock_ticker(c: Ctx3) -> str:
    """Share prices of the day: a random walk per symbol, one step per day."""
    r = c.period_rng("ticker-pick", c.day // 90)
    cells = []
    for sym, base in r.sample(TICKERS, 4):
        dr = c.period_rng(f"px-{sym}", c.day)
        drift = 1 + 0.002 * ((c.day * 7 + sum(map(ord, sym)) % 97) % 400 - 200) / 10
        price = base * drift * (1 + dr.uniform(-0.03, 0.03))
        ch = dr.uniform(-4, 4)
        cells.append(f"{sym} {price:,.2f} {'▲' if ch >= 0 else '▼'}{abs(ch):.2f}%")
    return " · ".join(cells)


def weather(c: Ctx3) -> str:
    r = c.rng
    return f"{r.choice(CITIES3)} {r.randint(-8, 34)}°C {r.choice(('☀', '☁', '☂', '❄', '⛅'))}"


def online_now(c: Ctx3) -> str:
    return f"{c.rng.randint(40, 4000):,} {c.w('online')}"


def testimonial(c: Ctx3) -> str:
    r = c.rng
    return f"“{r.choice(TESTIMONIALS)}” — {r.choice(PERSONS)}, {r.choice(CITIES3)}"


def ab_banner(c: Ctx3) -> tuple[str, str]:
    """An experiment in force for a few weeks; each capture lands in a bucket. Returns (id, text) or ('', '')."""
    period = c.day // 26
    r = c.period_rng("ab3", period)
    if r.random() < 0.35:
        return "", ""
    arm = "B" if c.rng.random() < 0.5 else "A"
    texts = [f"Start your free {r.choice((7, 14, 30))}-day trial", f"Now with {r.choice(FEATURES)}",
             f"{r.randint(2, 40)}k teams switched this year", f"Save {r.randint(10, 45)}% when you pay yearly"]
    return f"exp{period}-{arm}", texts[(period + (arm == "B")) % len(texts)]


def seasonal_promo(c: Ctx3) -> str:
    for months, form in SEASONS.items():
        if c.when.month in months:
            r = c.period_rng("season", f"{c.when.year}-{months[0]}")
            return form.format(p=r.choice((15, 20, 25, 30, 40, 50)), k=r.choice((2, 3, 6)))
    return ""


def countdown(c: Ctx3) -> str:
    """Days to the site's yearly event (a new city every year)."""
    r = c.period_rng("event", c.when.year)
    ev = datetime(c.when.year, r.randint(3, 11), r.randint(1, 28), tzinfo=UTC)
    if ev < c.when:
        ev = ev.replace(year=c.when.year + 1)
        r = c.period_rng("event", c.when.year + 1)
    d = (ev - c.when).days
    return f"{c.brand} {r.choice(EVENTS)} {ev.year} · {r.choice(CITIES3)} · {d} days to go"


def blog_posts(c: Ctx3, n: int = 4) -> list[tuple[str, datetime]]:
    r = c.period_rng("posts3", c.day // 11)
    return [(_title(r, c), c.when - timedelta(days=r.randint(1, 10) + 9 * i)) for i in range(n)]


def trending_tags(c: Ctx3, n: int = 8) -> list[tuple[str, int]]:
    r = c.period_rng("tags3", c.day // 3)
    return [(t, r.randint(1, 60)) for t in r.sample(TAGS, n)]


def job_count(c: Ctx3) -> str:
    n = 12 + (c.day - 13000) // 45 % 60 + c.period_rng("jobs", c.week).randint(0, 6)
    return f"{max(3, n)} {c.w('jobs')}"


def app_rating(c: Ctx3) -> str:
    r = c.period_rng("rating", c.day // 30)
    return f"{r.uniform(4.1, 4.9):.1f} ★ · {80_000 + (c.day - 13000) * 91 + r.randint(0, 900):,} ratings"


def status_line(c: Ctx3) -> str:
    x = c.rng.random()
    if x < 0.8:
        return "All systems operational"
    return c.rng.choice(("Investigating elevated error rates", "Degraded performance: search",
                         "Scheduled maintenance in progress", "Partial outage: notifications"))


def lang_switch(c: Ctx3) -> list[str]:
    """The switcher gains a language once or twice in the site's life."""
    n = 4 + 2 * c.rare("langs")
    return c.period_rng("langs-order", 0).sample(LANGS3, len(LANGS3))[:n]


def recently_viewed(c: Ctx3) -> list[str]:
    return c.rng.sample(ARTICLES, c.rng.randint(1, 4))


def newsletter_incentive(c: Ctx3) -> str:
    r = c.period_rng("letter3", (c.day // 91))
    return r.choice(("Product news once a month.", "No spam, unsubscribe any time.", "Join 40,000 readers.",
                     "Tips and early access, every other Friday.", "Get a free e-book when you sign up."))


def chat_agent(c: Ctx3) -> str:
    r = c.rng
    if r.random() < 0.3:
        return "We're away right now — leave a message"
    return f"{r.choice(PERSONS).split()[0]} is online · replies in ~{r.randint(1, 12)} min"


def office_address(c: Ctx3) -> str:
    """The office moves once (or twice) in the site's life."""
    r = c.period_rng("office", c.rare("office"))
    return f"{r.randint(1, 220)} {r.choice(STREETS)}, {r.choice(CITIES3)} {r.randint(1000, 99999)}"


def tagline(c: Ctx3) -> str:
    r = c.period_rng("tagline", c.rare("rebrand"))
    return r.choice(("Work, together.", "Made for people.", "Simply connected.", "Your world, organised.",
                     "Built for what's next.", "Everyday, better.", "Share what matters."))


def socials(c: Ctx3) -> list[str]:
    return SOCIAL[: 3 + c.rare("social") + (1 if c.when.year >= 2016 else 0)]


def render_time(c: Ctx3) -> str:
    return f"{c.rng.uniform(0.011, 0.9):.3f}s"


def visitors(c: Ctx3) -> int:
    return 2_000 + max(0, c.day - 11_000) * 53 + c.rng.randrange(50)


def tok(c: Ctx3, n: int = 24) -> str:
    return c.token(n, ALNUM)


# --------------------------------------------------------------------------------------------- templates
ALERTS = ("our phone lines are busier than usual", "offices close early on Friday",
          "online forms are unavailable on Sunday", "expect delays to postal replies")
ON = "border-b-2 border-indigo-600 font-semibold"
WALL_TITLES = ("We value your privacy", "Your choice", "Before you continue")


def _crumbs_gov(c: Ctx3) -> str:
    if not c.variant.get("crumbs"):
        return ""
    sep = c.variant.get("sep", "›")
    items = [f'<a href="/">{c.w("home")}</a>', '<a href="/about">About us</a>', '<a href="/legal">Legal</a>',
             c.variant.get("crumb_last", "Privacy")]
    return f'<nav aria-label="Breadcrumb" class="agency-breadcrumbs"><p>{f" {sep} ".join(items)}</p></nav>'


def t_gov_agency(c: Ctx3) -> str:
    """A public agency page: left navigation tree, "On this page" box, last-reviewed line, feedback question,
    alert banner, language switcher; the content in <main>."""
    tree = "".join(f'<li><a href="/{_slug(k)}">{k}</a><ul>'
                   + "".join(f'<li{" aria-current=page" if x == "Privacy" else ""}><a href="/{_slug(k)}/{_slug(x)}">'
                             f"{x}</a></li>" for x in v) + "</ul></li>" for k, v in GOV_NAV.items())
    toc = "".join(f'<li><a href="#s{i}">{html.escape(t)}</a></li>' for i, t in enumerate(_heads(c.policy_html, 8)))
    alert = ""
    ar = c.period_rng("alert", c.day // 9)
    if ar.random() < 0.35:
        alert = (f'<div class="agency-alert agency-alert--{ar.choice(("warning", "info"))}" role="alert"><strong>'
                 f"{ar.choice(('Service update', 'Weather warning', 'Office closures', 'Phone lines'))}:</strong> "
                 f"{ar.choice(ALERTS)}"
                 f" (posted {c.when - timedelta(days=ar.randint(0, 8)):%d %B %Y})</div>")
    langs = " | ".join(f'<a hreflang="x" href="/{i}/">{x}</a>' for i, x in enumerate(lang_switch(c)))
    reviewed = c.variant["reviewed"]
    pr = f'<p class="agency-print"><a href="javascript:print()">{c.w("print")}</a></p>' if c.variant["print"] else ""
    return (f'<!DOCTYPE html><html lang="{c.site.lang}"><head><meta charset="utf-8">'
            f"<title>{c.variant['title'].format(brand=c.brand)}</title>"
            f'<link rel="stylesheet" href="/assets/{c.build}/agency.min.css"></head><body class="agency-template">'
            f'<a class="agency-skip-link" href="#main-content">{c.w("skip")}</a>'
            f'<header class="agency-header"><div class="agency-header__logo"><a href="/">{c.brand} '
            f'<span class="agency-header__tag">{tagline(c)}</span></a></div>'
            f'<div class="agency-header__langs">{langs}</div>'
            f'<form class="agency-header__search" action="/search"><label for="q">Search</label>'
            f'<input id="q" name="q"></form></header>{alert}'
            f'<div class="agency-width-container">{_crumbs_gov(c)}'
            f'<div class="agency-grid-row"><div class="agency-grid-column-one-quarter">'
            f'<nav class="agency-subnav"><ul>{tree}</ul></nav></div>'
            f'<main class="agency-grid-column-three-quarters" id="main-content" role="main">'
            f'<aside class="agency-contents"><h2 class="agency-contents__title">{c.w("otp")}</h2><ol>{toc}</ol></aside>'
            f'{c.policy_html}{pr}'
            f'<p class="agency-metadata">{c.w("reviewed")}: {reviewed:%d %B %Y}</p>'
            f'<div class="agency-feedback"><p>Is this page useful?</p><a href="/fb?y=1">{c.w("yes")}</a> '
            f'<a href="/fb?y=0">{c.w("no")}</a> <a href="/report">Report a problem with this page</a></div>'
            f'</main></div></div><footer class="agency-footer"><p>{office_address(c)}</p>'
            f'<p>{" ".join(f"<a href=/s/{s.lower()}>{s}</a>" for s in socials(c))}</p>'
            f"<p>© Crown copyright {c.when.year}</p></footer></body></html>")


def t_cms_magazine(c: Ctx3) -> str:
    """A WordPress/Drupal-like page: byline, tag cloud, calendar widget, categories with counts, related posts,
    "Comments are closed", post navigation; the content in an <article> or in a Drupal field div."""
    drupal = c.variant.get("drupal", False)
    posts = blog_posts(c, 5)
    tags = trending_tags(c, 10)
    cloud = " ".join(f'<a href="/tag/{_slug(t)}" class="tag-cloud-link" style="font-size:{8 + w // 5}pt">{t}</a>'
                     for t, w in tags)
    cats = "".join(f'<li class="cat-item"><a href="/category/{_slug(t)}">{t.title()}</a> '
                   f"({40 + (c.day - 12000) // 9 % 300 + i})</li>"
                   for i, t in enumerate(c.period_rng("cats", 0).sample(TAGS, 5)))
    first = c.when.replace(day=1)
    cal = "".join(f"<td>{d}</td>" + ("</tr><tr>" if (first.weekday() + d) % 7 == 0 else "")
                  for d in range(1, 29))
    recent = "".join(f'<li><a href="/{d:%Y/%m}/{_slug(t)}/">{html.escape(t)}</a></li>' for t, d in posts)
    related = "".join(f'<div class="jp-relatedposts-post"><h4><a href="/{_slug(t)}">{html.escape(t)}</a></h4>'
                      f"<p>{d:%B %d, %Y}</p></div>" for t, d in blog_posts(c, 3))
    author = c.period_rng("author", c.rare("rebrand")).choice(("admin", "editorial", "legal-team", PERSONS[0]))
    pid = c.site.seed % 9000 + 17
    if drupal:
        body = (f'<div id="node-{pid}" class="node node--type-page node--view-mode-full">'
                f'<div class="submitted">Submitted by {author} on {c.variant["reviewed"]:%a, %m/%d/%Y - %H:%M}</div>'
                f'<div class="field field--name-body field--type-text-with-summary">{c.policy_html}</div></div>')
        side_cls = "region region-sidebar-first"
    else:
        body = (f'<article id="post-{pid}" class="post-{pid} page type-page status-publish hentry">'
                f'<header class="entry-header"><h1 class="entry-title">{c.variant["crumb_last"].capitalize()}</h1>'
                f'<div class="entry-meta">{c.w("by")} <span class="author vcard">{author}</span> · '
                f'<time datetime="{c.variant["reviewed"]:%Y-%m-%d}">{c.variant["reviewed"]:%B %d, %Y}</time></div>'
                f'</header><div class="entry-content">{c.policy_html}</div>'
                f'<footer class="entry-footer"><span class="tags-links">{c.w("tags")}: legal, privacy</span></footer>'
                f'</article><div id="jp-relatedposts"><h3 class="jp-relatedposts-headline">{c.w("related")}</h3>'
                f"{related}</div>"
                f'<nav class="post-navigation"><a rel="prev" href="/{_slug(posts[0][0])}">'
                f"← {html.escape(posts[0][0])}</a>"
                f'</nav><p class="nocomments">{c.w("closed")}</p>')
        side_cls = "widget-area"
    crumbs = (f'<div class="breadcrumbs"><a href="/">{c.w("home")}</a> » {c.variant.get("crumb_last", "Privacy")}</div>'
              if c.variant.get("crumbs") else "")
    return (f'<!DOCTYPE html><html lang="{c.site.lang}"><head><meta charset="UTF-8">'
            f"<title>{c.variant['title'].format(brand=c.brand)}</title>"
            f"<link rel='stylesheet' id='theme-css' href='/wp-content/themes/mag/style.css?ver={c.build[:6]}'>"
            f'<script>var wpApiSettings={{"nonce":"{tok(c, 10)}","root":"/wp-json/"}};</script></head>'
            f'<body class="page-template-default page page-id-{pid} logged-out"><div id="page" class="site">'
            f'<header id="masthead" class="site-header"><p class="site-title"><a href="/">{c.brand}</a></p>'
            f'<p class="site-description">{tagline(c)}</p><nav id="site-navigation" class="main-navigation"><ul>'
            + "".join(f"<li><a href=/{_slug(x)}>{x}</a></li>"
                      for x in c.period_rng("nav3", c.day // 400).sample(NAV3, 6))
            + f'</ul></nav></header>{crumbs}<div id="content" class="site-content">'
            f'<div id="primary" class="content-area">'
            f'{body}</div><aside id="secondary" class="{side_cls}">'
            f'<section class="widget widget_search"><form role="search"><input type="search" name="s"></form></section>'
            f'<section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul>{recent}</ul>'
            f'</section><section class="widget widget_tag_cloud"><h2 class="widget-title">{c.w("tags")}</h2>'
            f'<div class="tagcloud">{cloud}</div></section>'
            f'<section class="widget widget_categories"><h2 class="widget-title">Categories</h2>'
            f"<ul>{cats}</ul></section>"
            f'<section class="widget widget_calendar"><table id="wp-calendar"><caption>{c.when:%B %Y}</caption>'
            f"<tr>{cal}</tr></table></section></aside></div>"
            f'<footer id="colophon" class="site-footer"><div class="site-info">{office_address(c)} · '
            f'Proudly powered by WordPress</div></footer></div>'
            f"<!-- Dynamic page generated in {render_time(c)} seconds. -->"
            f"<!-- Cached page generated by WP-Super-Cache on {c.when:%Y-%m-%d %H:%M:%S} --></body></html>")


def t_spa_hydrated(c: Ctx3) -> str:
    """A server-rendered single-page app: Vue-style data-v attributes, CSS-module class names hashed per deploy,
    hydration comments, a state blob, a toast announcing a new version, a skeleton for a lazy widget."""
    v = f"data-v-{hashlib.md5(c.build.encode()).hexdigest()[:8]}"
    status = status_line(c)
    exp, exp_text = ab_banner(c)
    state = {"route": {"path": "/privacy", "hash": "", "query": {"utm_source": c.rng.choice(("", "footer", "app"))}},
             "i18n": {"locale": c.site.lang}, "auth": {"csrf": tok(c, 40), "user": None},
             "experiments": {exp or "none": 1}, "build": c.build, "renderedAt": c.when.isoformat(),
             "status": status, "rating": app_rating(c), "serverTiming": render_time(c)}
    banner = (f'<div class="{c.h("Banner_root")}" {v} data-exp="{exp}"><p {v}>{html.escape(exp_text)}</p>'
              f'<a {v} href="/pricing">→</a></div>') if exp else "<!---->"
    toast = (f'<div class="{c.h("Toast_root")}" role="status">A new version of {c.brand} is available. '
             "<button>Reload</button></div>") if c.rng.random() < 0.2 else ""
    links = "".join(f'<a {v} class="{c.h("Nav_link")}" href="/{_slug(x)}">{x}</a>'
                    for x in c.period_rng("spa-nav", c.day // 250).sample(NAV3, 5))
    wrap = c.variant.get("wrap", "section")
    return (f'<!doctype html><html lang="{c.site.lang}" data-n-head-ssr><head><meta charset="utf-8">'
            f"<title>{c.variant['title'].format(brand=c.brand)}</title>"
            f'<link rel="preload" href="/_nuxt/{c.build}.js" as="script">'
            f'<meta name="csrf-token" content="{tok(c, 40)}"></head>'
            f'<body><div id="__nuxt"><!--[--><div id="__layout"><div class="{c.h("App_root")}" {v}>{banner}'
            f'<header class="{c.h("Header_root")}" {v}><a {v} href="/" class="{c.h("Logo")}">{c.brand}</a>'
            f'<nav {v}>{links}</nav><button {v} aria-label="{c.w("menu")}">☰</button></header>'
            f'<{wrap} class="{c.h("Legal_page")}" {v}><div class="{c.h("Legal_body")} {c.h("Prose")}" {v}>'
            f"<!--[-->{c.policy_html}<!--]--></div></{wrap}>"
            f'<div class="{c.h("Skeleton")}" aria-busy="true"><span></span><span></span></div>'
            f'<footer class="{c.h("Footer_root")}" {v}><p {v}>{status}</p><p {v}>{app_rating(c)}</p>'
            f'<p {v}>© {c.when.year} {c.brand}</p></footer>{toast}</div></div><!--]--></div>'
            f"<script>window.__NUXT__={json.dumps(state, ensure_ascii=False)}</script>"
            f'<script src="/_nuxt/{c.build}.js" defer></script></body></html>')


def t_kb_article(c: Ctx3) -> str:
    """A help-centre article: search box, breadcrumbs, article metadata, votes with counts, articles in the
    section, recently viewed articles, a request prompt and a chat launcher; the body marked by itemprop."""
    yes = 30 + max(0, c.day - 13500) // 4 + c.rng.randrange(5)
    total = yes + yes // 3 + c.rng.randrange(4)
    sect = "".join(f'<li><a href="/hc/articles/{1000 + i}-{_slug(x)}">{x}</a></li>'
                   for i, x in enumerate(c.period_rng("kb-sect", c.day // 60).sample(ARTICLES, 6)))
    viewed = "".join(f'<li><a href="/hc/articles/{_slug(x)}">{x}</a></li>' for x in recently_viewed(c))
    upd = c.rng.randint(1, 11)
    crumbs = ""
    if c.variant.get("crumbs"):
        crumbs = (f'<ol class="breadcrumbs"><li title="{c.brand} Help"><a href="/hc">{c.brand} Help</a></li>'
                  f'<li><a href="/hc/sections/legal">Legal</a></li>'
                  f'<li>{c.variant.get("crumb_last", "Privacy")}</li></ol>')
    pr = f'<a class="article-print" href="?print=1">{c.w("print")}</a>' if c.variant["print"] else ""
    return (f'<!DOCTYPE html><html dir="ltr" lang="{c.site.lang}"><head><meta charset="utf-8">'
            f"<title>{c.variant['title'].format(brand=c.brand)}</title>"
            f'<meta content="authenticity_token" name="csrf-param"><meta content="{tok(c, 44)}" name="csrf-token">'
            f"</head><body><header class=\"header\"><a class=\"logo\" href=\"/hc\">{c.brand}</a>"
            f'<a href="/hc/requests/new" class="submit-a-request">Submit a request</a>'
            f'<a class="login" href="/access">Sign in</a></header>'
            f'<section class="section hero"><form role="search" class="search search-full">'
            f'<input type="search" name="query" placeholder="{c.w("search")}"></form></section>'
            f'<div class="container"><div class="sub-nav">{crumbs}</div>'
            f'<div class="article-container" id="article-container"><aside class="article-sidebar">'
            f'<section class="section-articles collapsible-sidebar"><h3>{c.w("section")}</h3><ul>{sect}</ul></section>'
            f'</aside><article class="article" itemscope itemtype="http://schema.org/Article">'
            f'<header class="article-header"><div class="article-author"><div class="article-meta">'
            f'<span>{c.brand} Team</span> <ul class="meta-group"><li>{c.w("updated")} '
            f'<time datetime="{c.when - timedelta(days=upd * 30):%Y-%m-%dT%H:%M:%SZ}">{upd} months ago</time></li>'
            f'</ul></div></div><a class="article-subscribe" href="#">Follow</a>{pr}</header>'
            f'<section class="article-info"><div class="article-content">'
            f'<div class="article-body" itemprop="articleBody">'
            f"{c.policy_html}</div></div></section>"
            f'<footer><div class="article-votes"><span class="article-votes-question">{c.w("useful")}</span>'
            f'<button class="button article-vote article-vote-up">{c.w("yes")}</button>'
            f'<button class="button article-vote article-vote-down">{c.w("no")}</button>'
            f'<small class="article-votes-count"><span class="article-vote-label">{yes} {c.w("out")} {total} '
            f'{c.w("helpful")}</span></small></div>'
            f'<div class="article-more-questions">{c.w("request")}</div>'
            f'<div class="article-return-to-top"><a href="#article-container">{c.w("back")}</a></div></footer>'
            f'<section class="recent-articles"><h3>{c.w("viewed")}</h3><ul>{viewed}</ul></section>'
            f"</article></div></div>"
            f'<footer class="footer"><a href="/">{c.brand}</a> <span>{c.w("chat")}</span> '
            f'<span class="chat-status">{chat_agent(c)}</span></footer></body></html>')


def t_legal_switcher(c: Ctx3) -> str:
    """A legal hub in utility classes: a document switcher (select and tabs), a version dropdown of effective
    dates (the site's legal calendar, not this policy's), print / PDF / email links, a jump-to-top button."""
    r = c.period_rng("legal-docs", c.rare("legal-docs"))
    docs = r.sample(LEGAL3, 7)
    if "Privacy Notice" not in docs:
        docs[0] = "Privacy Notice"
    opts = "".join(f'<option value="/legal/{_slug(d)}"{" selected" if d == "Privacy Notice" else ""}>{d}</option>'
                   for d in docs)
    tabs = "".join(f'<a role="tab" aria-selected="{str(d == "Privacy Notice").lower()}" href="/legal/{_slug(d)}" '
                   f'class="px-3 py-2 text-sm {ON if d == "Privacy Notice" else "text-gray-500"}">'
                   f"{d}</a>" for d in docs[:5])
    dates = []
    d = datetime(c.when.year, 1, 1, tzinfo=UTC)
    yr = c.period_rng("legal-cal", c.when.year)
    for k in range(yr.randint(2, 5)):
        dates.append(d - timedelta(days=yr.randint(20, 200) + 300 * k))
    vers = "".join(f"<option>{c.w('version')} {x:%Y-%m-%d}</option>" for x in dates)
    tw = c.variant.get("tw", 0)
    prose = ("prose prose-slate max-w-none", "prose lg:prose-lg dark:prose-invert",
             "max-w-prose mx-auto text-base")[tw % 3]
    title = c.variant["title"].format(brand=c.brand)
    pr = (f'<a href="#" onclick="window.print()" class="inline-flex items-center gap-1 text-sm">{c.w("print")}</a>'
          if c.variant["print"] else "")
    crumbs = (f'<nav class="text-xs text-gray-500 mb-4"><a href="/">{c.w("home")}</a> / <a href="/legal">Legal</a>'
              f' / <span>{c.variant.get("crumb_last", "Privacy")}</span></nav>' if c.variant.get("crumbs") else "")
    return (f'<!DOCTYPE html><html lang="{c.site.lang}" class="h-full antialiased"><head><meta charset="utf-8">'
            f"<title>{title}</title><script>window.dataLayer=[{{'event':'pv','nonce':'{tok(c, 16)}'}}]</script></head>"
            f'<body class="h-full bg-white text-gray-900"><div class="min-h-full flex flex-col">'
            f'<header class="border-b border-gray-200">'
            f'<div class="mx-auto max-w-7xl px-4 flex h-16 items-center justify-between">'
            f'<a href="/" class="font-bold text-lg">{c.brand}</a>'
            f'<div class="hidden md:flex gap-6">'
            + "".join(f'<a class="text-sm" href="/{_slug(x)}">{x}</a>'
                      for x in c.period_rng("ln", c.day // 300).sample(NAV3, 5))
            + f'</div></div></header><div class="mx-auto max-w-7xl px-4 py-10 grid grid-cols-12 gap-8">'
            f'<div class="col-span-12 lg:col-span-3"><label class="block text-xs uppercase">{c.w("docs")}</label>'
            f'<select class="mt-1 w-full rounded-md border-gray-300" onchange="location=this.value">{opts}</select>'
            f'<div class="mt-4"><label class="block text-xs uppercase">{c.w("version")}</label>'
            f'<select class="mt-1 w-full rounded-md">{vers}</select></div>'
            f'<div class="mt-6 flex flex-col gap-2">{pr}<a class="text-sm" href="/legal/privacy.pdf">{c.w("pdf")}</a>'
            f'<a class="text-sm" href="mailto:?subject={_slug(title)}">Email</a></div></div>'
            f'<div class="col-span-12 lg:col-span-9">{crumbs}'
            f'<div role="tablist" class="flex border-b mb-6">{tabs}</div>'
            f'<div class="{prose}">{c.policy_html}</div>'
            f'<button class="fixed bottom-6 right-6 rounded-full shadow-lg p-3" aria-label="{c.w("back")}">↑</button>'
            f'</div></div><footer class="mt-auto bg-gray-50"><div class="mx-auto max-w-7xl px-4 py-6 text-xs">'
            f"{office_address(c)} · {c.brand} © {c.when.year}</div></footer></div></body></html>")


def t_retro_frames(c: Ctx3) -> str:
    """A late-1990s page: upper-case tags, nested tables standing in for frames, a marquee ticker, a hit counter
    made of digit images, a webring, a guestbook link, "best viewed" and "last updated" lines; no classes."""
    hits = f"{visitors(c):07d}"
    digits = "".join(f'<IMG SRC="/cnt/{d}.gif" ALT="{d}" WIDTH=15 HEIGHT=20>' for d in hits)
    mr = c.period_rng("mq", c.day // 2)
    marquee = " +++ ".join(_title(mr, c) for _ in range(3))
    links = "".join(f'<A HREF="/{_slug(x)}.htm">{x}</A><BR>'
                    for x in c.period_rng("retro-nav", c.day // 500).sample(NAV3, 6))
    ring = c.period_rng("ring", c.rare("ring")).choice(("Privacy Pals", "Net Safety Ring", "Clean Web Ring"))
    upd = c.variant["reviewed"]
    return (f"<HTML><HEAD><TITLE>{c.variant['title'].format(brand=c.brand)}</TITLE>"
            f'<META NAME="generator" CONTENT="Microsoft FrontPage 4.0"></HEAD>'
            f'<BODY BGCOLOR="#FFFFCC" TEXT="#000080" LINK="#0000FF" VLINK="#800080">'
            f'<TABLE BORDER=0 WIDTH="100%" CELLPADDING=4><TR><TD COLSPAN=2 BGCOLOR="#000080">'
            f'<FONT COLOR="#FFFFFF" SIZE="+2"><B>{c.brand}</B></FONT> '
            f'<FONT COLOR="#FFFF00">{tagline(c)}</FONT></TD></TR>'
            f'<TR><TD COLSPAN=2><MARQUEE SCROLLAMOUNT=3>{html.escape(marquee)}</MARQUEE></TD></TR>'
            f'<TR><TD WIDTH=140 VALIGN=TOP BGCOLOR="#CCCCFF"><FONT SIZE=2>{links}<BR>'
            f'<A HREF="/guestbook.cgi">Sign my guestbook!</A><BR><IMG SRC="/img/new.gif" ALT="NEW!"></FONT></TD>'
            f"<TD VALIGN=TOP><TABLE WIDTH=100% BORDER=1 BORDERCOLOR=#000080><TR><TD>"
            f"{c.policy_html}</TD></TR></TABLE>"
            f'<P ALIGN=CENTER><IMG SRC="/img/construction.gif" ALT="Under construction"></P></TD></TR>'
            f"<TR><TD COLSPAN=2 ALIGN=CENTER><FONT SIZE=1>You are visitor number {digits} "
            f"since {c.born:%B %Y}<BR>[ <A HREF=/ring/prev>Prev</A> | <A HREF=/ring/random>Random</A> | "
            f"<A HREF=/ring/next>Next</A> ] This site is a member of the {ring}<BR>"
            f"Best viewed with Netscape Navigator 4 at 800x600<BR>Last updated: {upd:%m/%d/%Y}<BR>"
            f"Webmaster: <A HREF=mailto:webmaster@example.com>webmaster@example.com</A></FONT></TD></TR>"
            f"</TABLE></BODY></HTML>")


def t_amp_mobile(c: Ctx3) -> str:
    """An AMP-like mobile page: amp-sidebar, an amp-carousel of promos, amp-analytics JSON, an app smart banner,
    a sticky ad; the content in <article>."""
    promos = [seasonal_promo(c) or f"Try {c.period_rng('ampp', c.week).choice(FEATURES)}", countdown(c), app_rating(c)]
    car = "".join(f'<div class="slide"><p>{html.escape(p)}</p></div>' for p in promos)
    side = "".join(f'<li><a href="/m/{_slug(x)}">{x}</a></li>'
                   for x in c.period_rng("ampnav", c.day // 300).sample(NAV3, 7))
    analytics = {"vars": {"account": f"UA-{c.site.seed % 99999}-1", "pv": tok(c, 12)},
                 "triggers": {"trackPageview": {"on": "visible", "request": "pageview"}}}
    return (f'<!doctype html><html ⚡ lang="{c.site.lang}"><head><meta charset="utf-8">'
            f"<title>{c.variant['title'].format(brand=c.brand)}</title>"
            f'<link rel="canonical" href="{c.site.url}"><meta name="viewport" content="width=device-width">'
            f"<style amp-boilerplate>body{{visibility:hidden}}</style>"
            f'<script async src="https://cdn.ampproject.org/v0.js"></script>'
            f"<style amp-custom>.hdr{{display:flex}} /* build {c.build} */</style></head><body>"
            f'<amp-sidebar id="sb" layout="nodisplay" side="left"><ul>{side}</ul></amp-sidebar>'
            f'<div class="smartbanner"><amp-img src="/icon.png" width="40" height="40" alt="{c.brand} app"></amp-img>'
            f"<span>{c.brand} — {app_rating(c)}</span><a href=\"/app\">Open</a></div>"
            f'<header class="hdr"><button on="tap:sb.toggle">{c.w("menu")}</button><a href="/">{c.brand}</a></header>'
            f'<amp-carousel height="80" layout="fixed-height" type="slides" autoplay delay="4000">{car}</amp-carousel>'
            f"<article>{c.policy_html}</article>"
            f'<amp-ad width="320" height="50" type="doubleclick" data-slot="/{c.site.seed % 9999}/m_{tok(c, 6)}">'
            f'<div placeholder>Advertisement</div></amp-ad>'
            f'<footer><p>{" · ".join(socials(c))}</p><p>{c.brand} © {c.when.year}</p></footer>'
            f'<amp-analytics type="gtag"><script type="application/json">{json.dumps(analytics)}</script>'
            "</amp-analytics>"
            f"</body></html>")


def t_cookie_wall(c: Ctx3) -> str:
    """A page behind a full-screen consent wall (pay-or-accept), whose wording is revised each quarter and whose
    vendor count moves monthly; the page itself is plain, the content in an unnamed div."""
    q = c.period_rng("wall", c.day // 91)
    vendors = 90 + c.period_rng("vendors", c.day // 30).randint(0, 700)
    purposes = q.sample(["Store and/or access information on a device", "Personalised advertising",
                         "Content measurement", "Audience research", "Develop and improve services",
                         "Use limited data to select content", "Precise geolocation data"], q.randint(3, 5))
    wall = (f'<div id="cw" class="cw-overlay" style="position:fixed;inset:0;z-index:9999" aria-modal="true" '
            f'role="dialog"><div class="cw-box"><h2>{q.choice(WALL_TITLES)}</h2>'
            f"<p>We and our {vendors} partners use cookies and similar technologies to:</p><ul>"
            + "".join(f"<li>{p}</li>" for p in purposes)
            + f'</ul><p>{q.choice(("Subscribe to browse without ads for", "Or go ad-free for"))} '
            f'€{q.choice(("1.99", "2.99", "3.99"))}/month.</p><button>{c.w("accept")}</button>'
            f'<button>{c.w("manage")}</button><a href="/pur">Subscribe</a></div></div>')
    if c.variant.get("wall_after"):
        pre, post = "", wall
    else:
        pre, post = wall, ""
    crumb = (f"<p><a href=/>{c.w('home')}</a> &gt; {c.variant.get('crumb_last', 'Privacy')}</p>"
             if c.variant.get("crumbs") else "")
    return (f'<!DOCTYPE html><html lang="{c.site.lang}"><head><meta charset="utf-8">'
            f"<title>{c.variant['title'].format(brand=c.brand)}</title>"
            f'<script>window.__tcfapi_nonce="{tok(c, 18)}";</script></head><body>{pre}'
            f'<div id="hd"><a href="/">{c.brand}</a> <span>{weather(c)}</span> <span>{stock_ticker(c)}</span></div>'
            f'{crumb}<div id="c">{c.policy_html}</div>'
            f'<div id="ft"><p>{online_now(c)}</p><p>{c.brand} · {office_address(c)}</p></div>{post}</body></html>')


def t_saas_utility(c: Ctx3) -> str:
    """A marketing site in utility classes around the policy too: announcement bar (an experiment), seasonal
    promo, event countdown, job count, status line, app rating, testimonial, newsletter, chat bubble."""
    exp, exp_text = ab_banner(c)
    promo = seasonal_promo(c)
    top = (f'<div class="bg-indigo-600 text-white text-center text-sm py-2" data-ab="{exp}">{html.escape(exp_text)} '
           f'<a class="underline" href="/signup">→</a></div>') if exp else ""
    promo_html = f'<div class="bg-amber-100 text-amber-900 p-2 text-xs">{promo}</div>' if promo else ""
    return (f'<!DOCTYPE html><html lang="{c.site.lang}"><head><meta charset="utf-8">'
            f"<title>{c.variant['title'].format(brand=c.brand)}</title>"
            f'<link href="/_next/static/css/{c.build}.css" rel="stylesheet"></head>'
            f'<body class="bg-white"><div id="__next">{top}{promo_html}'
            f'<header class="sticky top-0 z-40 backdrop-blur flex items-center justify-between px-6 h-14">'
            f'<a href="/" class="font-semibold">{c.brand}</a><nav class="hidden lg:flex gap-x-8 text-sm">'
            + "".join(f'<a href="/{_slug(x)}">{x}</a>' for x in c.period_rng("sn", c.day // 220).sample(NAV3, 6))
            + f'</nav><a href="/careers" class="text-xs rounded-full bg-gray-100 px-2">{job_count(c)}</a></header>'
            f'<div class="relative isolate px-6 pt-14 lg:px-8"><div class="mx-auto max-w-3xl py-12">'
            f'<p class="text-xs text-gray-400">{countdown(c)}</p>'
            f'<div class="mt-8 space-y-6 text-base leading-7 text-gray-700">{c.policy_html}</div></div></div>'
            f'<section class="bg-gray-50 py-10"><blockquote class="text-center italic">{testimonial(c)}</blockquote>'
            f'</section><section class="py-8 text-center"><h3 class="font-semibold">{c.w("letter")}</h3>'
            f'<p class="text-sm">{newsletter_incentive(c)}</p><form class="flex gap-2 justify-center">'
            f'<input type="email" class="rounded-md" placeholder="you@example.com"><button>{c.w("sub")}</button>'
            f'</form></section><footer class="border-t py-6 text-xs flex justify-between px-6">'
            f'<span><span class="inline-block h-2 w-2 rounded-full bg-green-500"></span> {status_line(c)}</span>'
            f"<span>{app_rating(c)}</span><span>© {c.when.year} {c.brand}</span></footer>"
            f'<div class="fixed bottom-4 right-4 rounded-full shadow-xl bg-indigo-600 text-white p-3 text-sm">'
            f"{chat_agent(c)}</div></div>"
            f'<script id="__NEXT_DATA__" type="application/json">'
            f'{json.dumps({"buildId": c.build, "page": "/privacy", "props": {"csrf": tok(c, 32)}})}</script>'
            f"</body></html>")


def t_plain_noclass(c: Ctx3) -> str:
    """A plain hand-written page with no classes and no landmarks: links in a paragraph, horizontal rules, a
    visitor counter, who's online, render time and timestamp, deploy id in a comment, recently viewed list."""
    nav = " | ".join(f'<a href="/{_slug(x)}">{x}</a>' for x in c.period_rng("pn", c.day // 600).sample(NAV3, 5))
    viewed = ", ".join(f'<a href="/kb/{_slug(x)}">{x}</a>' for x in recently_viewed(c))
    crumbs = (f"<p><a href=/>{c.w('home')}</a> / <a href=/about>About</a> / {c.variant.get('crumb_last', 'Privacy')}"
              "</p>") if c.variant.get("crumbs") else ""
    pr = f'<p><a href="?format=print">{c.w("print")}</a></p>' if c.variant["print"] else ""
    return (f"<!-- build {c.build} rev {tok(c, 7)} -->\n<html><head><title>{c.variant['title'].format(brand=c.brand)}"
            f'</title></head><body><h1>{c.brand}</h1><p>{nav}</p>{crumbs}<hr>{c.policy_html}<hr>{pr}'
            f"<p>{c.w('viewed')}: {viewed}</p>"
            f"<p>{visitors(c):,} {c.w('visitors')} {c.born:%Y} · {online_now(c)}</p>"
            f"<p>{c.w('gen')} {render_time(c)} · {c.when:%Y-%m-%d %H:%M:%S} UTC · "
            f"{c.w('reviewed')}: {c.variant['reviewed']:%Y-%m-%d}</p>"
            f"<address>{office_address(c)}</address></body></html>")


TEMPLATES: dict[str, tuple[int, Callable[[Ctx3], str]]] = {  # name -> (era start year, render)
    "retro_frames": (1999, t_retro_frames),
    "plain_noclass": (2001, t_plain_noclass),
    "cms_magazine": (2006, t_cms_magazine),
    "gov_agency": (2008, t_gov_agency),
    "cookie_wall": (2010, t_cookie_wall),
    "kb_article": (2011, t_kb_article),
    "amp_mobile": (2015, t_amp_mobile),
    "legal_switcher": (2014, t_legal_switcher),
    "saas_utility": (2016, t_saas_utility),
    "spa_hydrated": (2017, t_spa_hydrated),
}
CHROME_KINDS = ("stock ticker", "weather line", "people online", "rotating testimonial", "A/B announcement bar",
                "seasonal promo", "event countdown", "latest blog posts", "trending tag cloud", "category counts",
                "calendar widget", "job openings count", "app-store rating", "status-page line",
                "language switcher (rare additions)", "recently viewed", "newsletter incentive", "chat agent line",
                "deploy id in hashes/comments/URLs", "CSRF tokens and nonces", "JSON state blobs", "render timestamp",
                "page generated in", "visitor counter (digit images)", "marquee ticker", "webring (rare rename)",
                "office address (rare move)", "tagline (rare rebrand)", "social links (rare additions)",
                "agency alert banner", "On this page box", "last reviewed date (per template variant)",
                "helpful votes with counts", "articles in this section", "legal document switcher",
                "version dropdown", "cookie wall with vendor count", "new-version toast", "smart app banner",
                "AMP carousel", "sticky ad", "related posts", "byline", "comments closed")


# --------------------------------------------------------------------------------------------- not the policy
def np_challenge(c: Ctx3) -> str:
    k = c.rng.randrange(3)
    host = c.site.url.split("/")[2]
    if k == 0:
        return (f"<html><head><title>DDoS-Guard</title></head><body><div><h1>Checking your browser before accessing "
                f"{host}</h1><p>This process is automatic. Your browser will redirect to your requested content "
                f"shortly.</p><p>Please allow up to 5 seconds…</p><p>ID: {tok(c, 20)}</p></div></body></html>")
    if k == 1:
        return (f"<html><head><title>Sucuri WebSite Firewall - Access Denied</title></head><body><h2>Access Denied - "
                f"Sucuri Website Firewall</h2><table><tr><td>Your IP:</td><td>207.241.{c.rng.randint(1, 254)}."
                f"{c.rng.randint(1, 254)}</td></tr><tr><td>URL:</td><td>{c.site.url}</td></tr><tr><td>Block ID:</td>"
                f"<td>BNP{c.rng.randint(1, 99):03d}</td></tr><tr><td>Time:</td><td>{c.when:%Y-%m-%d %H:%M:%S}</td>"
                "</tr></table></body></html>")
    return ("<html><head><title>Request unsuccessful</title></head><body><p>Request unsuccessful. Incapsula incident "
            f"ID: {c.rng.randint(10**8, 10**9)}-{c.rng.randint(10**12, 10**13)}</p>"
            f'<iframe src="/_Incapsula_Resource?SWUDNSAI=31&xinfo={tok(c, 12)}"></iframe></body></html>')


def np_redirect(c: Ctx3) -> str:
    home = "/".join(c.site.url.split("/")[:3]) + "/"
    return (f'<html><head><meta http-equiv="refresh" content="0; url={home}"><title>Redirecting…</title></head>'
            f'<body><p>Redirecting to <a href="{home}">{home}</a>…</p>'
            f'<script>location.replace("{home}")</script></body></html>')


def np_rate_limited(c: Ctx3) -> str:
    return (f"<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1>"
            f"</center><hr><center>nginx</center><!-- request {tok(c, 16)} --></body></html>")


def np_maintenance(c: Ctx3) -> str:
    back = c.when + timedelta(hours=c.rng.randint(1, 6))
    return (f'<!DOCTYPE html><html><head><title>{c.brand} — Maintenance</title></head><body style="text-align:center">'
            f"<h1>We're upgrading {c.brand}</h1><p>We expect to be back by {back:%H:%M} UTC. Thanks for your "
            f"patience.</p><p>{status_line(c)} — follow @{_slug(c.brand)}status for updates.</p></body></html>")


def np_login(c: Ctx3) -> str:
    return (f'<!DOCTYPE html><html><head><title>{c.brand} SSO</title></head><body><div id="login">'
            f'<h1>{c.w("login")}</h1><form method="post" action="/sso/login?continue=%2Fprivacy">'
            f'<label>Email<input type="email" name="identifier"></label><button>Next</button>'
            f'<input type="hidden" name="state" value="{tok(c, 40)}"></form>'
            f'<p><a href="/sso/help">Trouble signing in?</a></p></div></body></html>')


def in_template(kind: str, c: Ctx3, render: Callable[[Ctx3], str]) -> str:
    """A page that is not the policy, in the site's own template: a soft 404, the homepage, an empty app shell,
    a consent-required notice, a search page."""
    if kind == "soft404":
        c.policy_html = (f"<h1>{c.w('notfound')}</h1><p>The page you requested may have been moved or deleted. "
                         f"Error reference {tok(c, 8)}.</p><p>Try searching, or go to the "
                         f'<a href="/">{c.w("home")}</a> page.</p>')
    elif kind == "homepage":
        r = c.period_rng("home3", c.day // 20)
        cards = "".join(f"<h2>{t.capitalize()}</h2><p>{c.brand} now offers {t}. {r.choice(TESTIMONIALS)}</p>"
                        for t in r.sample(FEATURES, 3))
        c.policy_html = f"<h1>{tagline(c)}</h1><p>{c.brand} helps you get more done.</p>{cards}"
    elif kind == "shell":
        c.policy_html = '<div id="app-loading"><p>Loading…</p><noscript>You need to enable JavaScript.</noscript></div>'
    elif kind == "consent_required":
        c.policy_html = ("<h2>Content unavailable</h2><p>This content is blocked until you accept cookies. "
                         '<button>Accept cookies to view</button></p>')
    else:  # search
        q = c.rng.choice(("privacy", "data", "cookies", "delete account"))
        hits = "".join(f'<li><a href="/{_slug(x)}">{x}</a></li>' for x in c.rng.sample(ARTICLES, 5))
        c.policy_html = f"<h1>Search results for “{q}”</h1><ol>{hits}</ol>"
    return render(c)


# --------------------------------------------------------------------------------------------- policy markup
def with_section_ids(policy: str) -> str:
    """Headings get ids and each heading starts a <section> (words kept)."""
    parts = re.split(r"(?=<h[2-4]>)", policy)
    out = [parts[0]]
    for i, part in enumerate(parts[1:]):
        part = re.sub(r"^<h([2-4])>", rf'<h\1 id="s{i}">', part)
        out.append(f'<section aria-labelledby="s{i}">{part}</section>')
    return "".join(out)


def with_anchor_ids(policy: str) -> str:
    return re.sub(r"<(p|h[1-6])>", lambda m: f'<{m.group(1)} data-block="{m.start() * 7919 % 9973}">', policy)


PREP: tuple[Callable[[str], str], ...] = (lambda p: p, with_section_ids, with_anchor_ids)
WRAPPERS = ('<div class="rte">{}</div>', '<div>{}</div>', '<div class="content"><div class="inner">{}</div></div>',
            '<section>{}</section>', '<div id="policy-text" data-testid="legal-body">{}</div>',
            '<div class="field-item even" property="content:encoded">{}</div>')


# --------------------------------------------------------------------------------------------- building a site
TITLE_FORMS = ["Privacy Policy | {brand}", "{brand} — Privacy", "Privacy notice - {brand}", "{brand}: Privacy Policy",
               "Privacy & Cookies · {brand}", "Your privacy at {brand}", "Privacy Policy", "{brand} Privacy Center"]


def make_variant(r: random.Random, when: datetime) -> dict:
    return {"title": r.choice(TITLE_FORMS), "crumbs": r.random() < 0.6, "print": r.random() < 0.5,
            "reviewed": when - timedelta(days=r.randint(5, 400)), "sep": r.choice(("›", "/", "»", ">")),
            "crumb_last": r.choice(("Privacy", "Privacy policy", "Privacy notice", "Your privacy")),
            "drupal": r.random() < 0.4, "wrap": r.choice(("section", "main", "article", "div")), "tw": r.randrange(3),
            "wall_after": r.random() < 0.5}


def twin_of(r: random.Random, v: dict, when: datetime) -> dict:
    """The same template with one or two small differences: title line, breadcrumbs, print link, reviewed date."""
    t = dict(v)
    for what in r.sample(("title", "crumbs", "print", "reviewed", "crumb_last"), r.randint(1, 2)):
        if what == "title":
            t["title"] = r.choice([x for x in TITLE_FORMS if x != v["title"]])
        elif what in ("crumbs", "print"):
            t[what] = not v[what]
        elif what == "reviewed":
            t["reviewed"] = when - timedelta(days=r.randint(0, 30))
        else:
            t["crumb_last"] = r.choice([x for x in ("Privacy", "Privacy policy", "Privacy notice", "Your privacy")
                                        if x != v["crumb_last"]])
    return t


@dataclass
class Epoch:
    template: str
    label: str  # what Capture.template says (a twin is "name~2")
    variant: dict
    noise: dict  # rates of the policy's rendering noise
    prep: int
    wrap: int


def noise_profile(r: random.Random) -> dict:
    kind = r.choice(("clean", "clean", "messy", "flaky", "editor"))
    return {"lists": r.random() < (0.5 if kind in ("messy", "editor") else 0.2),
            "lists_flip": 0.02 if kind == "clean" else 0.08,
            "fffd": {"clean": 0.0, "messy": 0.05, "flaky": 0.35, "editor": 0.02}[kind],
            "spans": {"clean": 0.0, "messy": 0.5, "flaky": 0.1, "editor": 0.9}[kind],
            "shift": r.choice((0, 0, 1, 2)), "shift_flip": 0.05 if kind != "clean" else 0.0,
            "br": {"clean": 0.0, "messy": 0.3, "flaky": 0.05, "editor": 0.6}[kind],
            "indent": r.choice(("", "  ", "\t", "\n", "\n    ")), "indent_mix": kind == "messy", "kind": kind}


_MINIFY = re.compile(r"(</?(?:p|li|ul|ol|div|h[1-6]|tr|td|th|table|section|header|footer|nav|main|article|"
                     r"aside|form|blockquote|address|hr)\b[^>]*>)\s+", re.I)


def build_site3(history: History, index: int, seed: int, captures_per_version: float) -> Site:
    rng = random.Random(seed)
    lang = rng.choices(list(L3), weights=(5, 2, 1, 1))[0]
    brand = history.company.replace("-", " ").title().replace(" ", "") + rng.choice(("", "", " Group", "HQ", ".io"))
    path = rng.choice(("privacy", "legal/privacy-notice", "about/privacy", "policies/privacy",
                       "hc/articles/360-privacy",
                       "datenschutz" if lang == "de" else "privacy.html"))
    site = Site(f"{FAMILY}-{index:02d}-{history.company}", f"https://www.{_slug(brand)}-h3.example/{path}",
                history.company, FAMILY, seed, lang, Names(rng))
    versions = list(zip(history.texts, history.ids))
    if len(versions) > 4 and rng.random() < 0.4:
        a = rng.randrange(0, len(versions) - 3)
        versions = versions[a : a + rng.randint(4, 9)]
    n_pol = max(len(versions) * 2, round(len(versions) * captures_per_version * rng.uniform(0.7, 1.3)))
    cuts = sorted(rng.sample(range(1, n_pol), len(versions) - 1))
    per_capture = [bisect.bisect_right(cuts, i) for i in range(n_pol)]

    # redesign plan: templates in era order, some epochs twins of the one before, sometimes a rolled-back redesign
    names = sorted(rng.sample(list(TEMPLATES), rng.randint(2, 4)), key=lambda n: TEMPLATES[n][0])
    year0 = rng.randint(max(2001, min(TEMPLATES[names[0]][0] + 1, 2012)), 2013)
    start = datetime(year0, rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC)
    plan: list[tuple[str, int]] = []
    for n in names:
        plan.append((n, 0))
        if rng.random() < 0.45:
            plan.append((n, 1))
            if rng.random() < 0.3:
                plan.append((n, 2))
    if len(names) >= 2 and rng.random() < 0.3:  # a redesign rolled back, then rolled out again
        k = rng.randrange(1, len(plan))
        if plan[k][0] != plan[k - 1][0]:
            plan[k + 1 : k + 1] = [plan[k - 1], plan[k]]
    plan = plan[: max(2, min(len(plan), n_pol // 3))]
    epochs: list[Epoch] = []
    variants: dict[tuple[str, int], dict] = {}
    for n, v in plan:
        if (n, v) not in variants:
            vr = random.Random(f"{seed}:variant:{n}:{v}")
            variants[(n, v)] = (make_variant(vr, start + timedelta(days=400 * len(epochs))) if v == 0
                                else twin_of(vr, variants[(n, v - 1)], start + timedelta(days=400 * len(epochs))))
        twin = v > 0
        prev = epochs[-1] if epochs else None
        er = random.Random(f"{seed}:epoch:{len(epochs)}")
        epochs.append(Epoch(n, n if v == 0 else f"{n}~{v + 1}", variants[(n, v)],
                            prev.noise if twin and prev and er.random() < 0.7 else noise_profile(er),
                            prev.prep if twin and prev else er.randrange(len(PREP)),
                            prev.wrap if twin and prev else er.randrange(len(WRAPPERS) + 2)))
    ecuts = sorted(rng.sample(range(1, n_pol), len(epochs) - 1))
    n_all = n_pol + max(2, round(n_pol * rng.uniform(0.08, 0.2)))
    times = capture_times(rng, start, n_all)
    nonpolicy = set(rng.sample(range(1, n_all), n_all - n_pol))
    # within an epoch, an editor re-saves the page now and then: a noise change at a random policy capture
    resaves = set(rng.sample(range(1, n_pol), min(n_pol - 1, rng.randint(0, 3))))
    rare_at = {k: sorted(times[0] + (times[-1] - times[0]) * rng.random() for _ in range(rng.randint(1, 2)))
               for k in ("langs", "office", "rebrand", "social", "ring", "legal-docs")}
    deploys, t = [], times[0] - timedelta(days=rng.uniform(0, 30))
    while t < times[-1]:
        deploys.append(t)
        t += timedelta(days=rng.choice((rng.uniform(2, 12), rng.uniform(15, 90))))

    blocks = [blocks_of(text) for text, _ in versions]
    truth = [oracle_text(render_policy(b, Noise())) for b in blocks]
    ids: list[int] = []
    for k, text in enumerate(truth):
        ids.append(ids[-1] if k and text == truth[k - 1] else versions[k][1])
    site.templates = list(dict.fromkeys(e.label for e in epochs))

    p, flip = 0, {"lists": False, "shift": 0}
    for i, when in enumerate(times):
        crng = random.Random(f"{seed}:h3:{i}")
        pi = min(p, n_pol - 1)
        ei = bisect.bisect_right(ecuts, pi)
        ep = epochs[ei]
        render = TEMPLATES[ep.template][1]
        build = hashlib.sha1(f"{seed}:{bisect.bisect_right(deploys, when)}".encode()).hexdigest()[:10]
        ctx = Ctx3(site, when, "", crng, build, brand, ep.variant, rare_at, times[0])
        ts = when.strftime("%Y%m%d%H%M%S")
        if i in nonpolicy:
            kinds = ["challenge", "soft404", "homepage", "redirect", "maintenance", "login", "ratelimit", "search",
                     "soft404"]
            if ep.template in ("spa_hydrated", "saas_utility"):
                kinds.append("shell")
            if ep.template == "cookie_wall":
                kinds.append("consent_required")
            kind = crng.choice(kinds)
            simple = {"challenge": np_challenge, "redirect": np_redirect, "maintenance": np_maintenance,
                      "login": np_login, "ratelimit": np_rate_limited}
            body = simple[kind](ctx) if kind in simple else in_template(kind, ctx, render)
            site.captures.append(Capture(ts, body.encode("utf-8"), False, None, ep.label, kind))
            continue
        v = per_capture[pi]
        if p in resaves:
            flip["lists"] ^= crng.random() < 0.6
            flip["shift"] = crng.choice((0, 0, 1))
        p += 1
        nz = ep.noise
        noise = Noise(
            lists_as_paragraphs=(nz["lists"] ^ flip["lists"]) ^ (crng.random() < nz["lists_flip"]),
            fffd=crng.choice((1, 1, 2, 3, 6)) if crng.random() < nz["fffd"] else 0,
            wrap_spans=crng.random() < nz["spans"],
            heading_shift=min(3, nz["shift"] + flip["shift"] + (crng.random() < nz["shift_flip"])),
            br_lines=crng.random() < nz["br"],
            indent=crng.choice(("", "  ", "\n")) if nz["indent_mix"] else nz["indent"],
            seed=crng.randrange(10**9),
        )
        policy = PREP[ep.prep](render_policy(blocks[v], noise))
        if ep.wrap < len(WRAPPERS):
            policy = WRAPPERS[ep.wrap].format(policy)
        if oracle_text(policy) != truth[v]:
            site.oracle_mismatches += 1
        ctx.policy_html = policy
        body = render(ctx)
        if crng.random() < 0.1:  # a minifier run on some deploys (only around block tags: no words glued)
            body = _MINIFY.sub(r"\1", body)
        site.captures.append(Capture(ts, body.encode("utf-8"), True, ids[v], ep.label, "policy", noise))
    return site


def sites(histories: list[History], n_sites: int, per_version: float = 6.0) -> list[Site]:
    """``n_sites`` sites, cycling through the real histories, each from its own seeded RNG."""
    rng = random.Random(SEED)
    order = list(histories)
    rng.shuffle(order)
    return [build_site3(order[i % len(order)], i, rng.randrange(2**31), per_version) for i in range(n_sites)]


__all__ = ["CHROME_KINDS", "SEED", "TEMPLATES", "sites"]


def _selfcheck() -> None:
    import time

    from bench.histories import load_histories

    t0 = time.perf_counter()
    histories = load_histories()
    built = sites(histories, len(histories), 6.0)
    caps = [c for s in built for c in s.captures]
    pol = [c for s in built for c in s.captures if c.policy]
    switches = boundaries = 0
    for s in built:
        last_t, last_v = None, None
        for c in s.captures:
            if c.policy:
                switches += last_t is not None and c.template != last_t
                boundaries += last_v is not None and c.version != last_v
                last_t, last_v = c.template, c.version
    kinds: dict[str, int] = {}
    for c in caps:
        if not c.policy:
            kinds[c.kind] = kinds.get(c.kind, 0) + 1
    print(f"sites {len(built)}")
    print(f"captures {len(caps)}")
    print(f"policy captures {len(pol)}")
    print(f"non-policy captures {len(caps) - len(pol)} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})")
    print(f"template switches {switches}")
    print(f"true version boundaries {boundaries}")
    print(f"oracle_mismatches {sum(s.oracle_mismatches for s in built)}")
    print(f"templates used {len({c.template for c in caps})} labels over {len(TEMPLATES)} templates; "
          f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    _selfcheck()
