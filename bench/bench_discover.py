"""Discovering policy URLs (issue 17): precision and recall of the (URL, window) rows, and requests per domain.

A generator writes a few hundred synthetic sites into a WARC, served by a real pywb: each site has a
language, a homepage template (where its links sit), eras between policy moves (a new path, a subdomain,
a PDF, another site), archived redirects from old URLs (or none), homepage redirects, links that reach the
policy through a redirect, eras whose homepage links no policy, cookie policies and terms beside it,
decoy URLs that say privacy (settings pages, blog posts, a privacy FAQ captured more often than the
policy) and old URLs reused for something else. Half the variety is held out: languages it, pt, sv, pl,
ja and four templates were never looked at while the discovery was written; the tuned half uses en, de,
fr, es, nl and three templates.

Measured in the same run against the same archive:

* ``policytrail discover`` (the CLI, one process for all domains, pywb dialect, limits lifted), requests
  per domain as it reports them (cross-checked with pywb's access log);
* baseline "URL keywords": one CDX domain query, every URL whose path says privacy (the same word list),
  a row per URL from its first to its last capture that answered 200;
* baseline "link text" (after the Princeton-Leuven study): one homepage capture a year, the footer/header
  link whose text says privacy (the same word list), a row per linked URL from the first to the last year
  that links it; no index, no redirects followed.

A discovered row matches a true row when the URLs name the same page and their windows overlap by at
least half of their union (open ends taken as the end of the archive); "exact" counts identical windows.

    .venv/bin/python bench/bench_discover.py [--sites 300] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import git_rev, machine, table, today  # noqa: E402
from crawler.discover.links import page_links  # noqa: E402
from crawler.discover.plan import url_key  # noqa: E402
from crawler.discover.words import PRIVACY, index_pattern, read_text, read_url  # noqa: E402
from crawler.localarchive.pywb import LocalArchive  # noqa: E402
from crawler.localarchive.warc import CaptureSpec, write_warc  # noqa: E402

END = "20251231235959"

LANGS = {
    # language: (privacy link texts, privacy paths, cookie text, terms text)
    "en": (["Privacy Policy", "Privacy", "Privacy Notice", "Privacy & Cookies", "Your Privacy"],
           ["/privacy", "/privacy-policy", "/legal/privacy", "/en/privacy-notice", "/policies/privacy"],
           "Cookie Policy", "Terms of Service"),
    "de": (["Datenschutz", "Datenschutzerklärung", "Datenschutzhinweise"],
           ["/datenschutz", "/datenschutzerklaerung", "/de/rechtliches/datenschutz"], "Cookie-Richtlinie", "AGB"),
    "fr": (["Politique de confidentialité", "Confidentialité", "Vie privée", "Données personnelles"],
           ["/confidentialite", "/politique-de-confidentialite", "/fr/vie-privee"], "Politique de cookies",
           "Conditions générales"),
    "es": (["Política de privacidad", "Privacidad", "Aviso de privacidad"],
           ["/privacidad", "/politica-de-privacidad", "/aviso-de-privacidad"], "Política de cookies",
           "Términos y condiciones"),
    "nl": (["Privacybeleid", "Privacyverklaring", "Privacy"], ["/privacybeleid", "/privacyverklaring", "/nl/privacy"],
           "Cookiebeleid", "Algemene voorwaarden"),
    # held out
    "it": (["Informativa sulla privacy", "Privacy", "Privacy Policy"],
           ["/privacy", "/informativa-privacy", "/it/privacy-policy"], "Cookie Policy", "Termini e condizioni"),
    "pt": (["Política de Privacidade", "Privacidade"], ["/privacidade", "/politica-de-privacidade"],
           "Política de Cookies", "Termos de uso"),
    "sv": (["Integritetspolicy", "Personuppgifter", "Dataskydd"], ["/integritetspolicy", "/personuppgifter",
           "/sv/integritet"], "Cookies", "Villkor"),
    "pl": (["Polityka prywatności", "Prywatność"], ["/polityka-prywatnosci", "/prywatnosc"], "Polityka cookies",
           "Regulamin"),
    "ja": (["プライバシーポリシー", "個人情報保護方針", "個人情報の取り扱い"],
           ["/privacy", "/privacypolicy.html", "/jp/" + quote("個人情報")], "クッキーポリシー", "利用規約"),
}  # fmt: skip
TUNED_LANGS, HELD_LANGS = ["en", "de", "fr", "es", "nl"], ["it", "pt", "sv", "pl", "ja"]
TUNED_TEMPLATES, HELD_TEMPLATES = (
    ["footer-list", "footer-div", "header-nav"],
    [
        "site-info",
        "icon",
        "sidebar",
        "legal-menu",
    ],
)


def _links_html(template: str, links: list[tuple[str, str]]) -> str:
    anchors = [f'<a href="{href}">{text}</a>' for href, text in links]
    if template == "footer-list":
        return "<footer><ul>" + "".join(f"<li>{a}</li>" for a in anchors) + "</ul></footer>"
    if template == "footer-div":
        return '<div id="footer">' + " | ".join(anchors) + "</div>"
    if template == "header-nav":
        return "<header><nav>" + " ".join(anchors) + "</nav></header>"
    if template == "site-info":
        return '<div class="site-info"><p>' + " · ".join(anchors) + "</p></div>"
    if template == "icon":  # the privacy link is an icon with a title; the others are text
        out = []
        for (href, text), a in zip(links, anchors):
            out.append(f'<a href="{href}" title="{text}"><img src="/i.svg" alt=""></a>' if href == links[0][0] else a)
        return '<div class="bar">' + " ".join(out) + "</div>"
    if template == "sidebar":
        return '<aside class="sidebar"><h3>Info</h3>' + "<br>".join(anchors) + "</aside>"
    return '<div class="menu"><span>Legal</span>' + "".join(anchors) + "</div>"  # legal-menu


POLICY = [
    "We collect the information you give us, such as your name, e-mail address and payment details.",
    "We use cookies and similar technologies to remember your preferences and measure how our services are used.",
    "We share personal information with service providers who process it on our behalf under contract.",
    "You may ask us for a copy of your personal data, or ask us to correct or delete it.",
    "We keep personal information only as long as we need it for the purposes described in this policy.",
    "Our services are not directed to children under 13 and we do not knowingly collect their data.",
    "Contact our data protection officer with any question about this privacy policy.",
]


def policy_page(domain: str, version: int) -> bytes:
    """A privacy policy page (the bodies are read only when the index alone chose a URL)."""
    paras = "".join(f"<p>{p}</p>" for p in POLICY)
    return (
        f"<html><head><title>Privacy policy - {domain}</title></head><body><main><h1>Privacy policy</h1>"
        f"{paras}<p>Version {version}.</p></main></body></html>"
    ).encode()


class Site:
    """One synthetic site and its truth: the (url, first, last) of each era's policy URL."""

    def __init__(self, n: int, rng: random.Random, held: bool):
        self.n, self.held = n, held
        self.domain = f"site{n:04d}.example"
        self.lang = rng.choice(HELD_LANGS if held else TUNED_LANGS)
        self.template = rng.choice(HELD_TEMPLATES if held else TUNED_TEMPLATES)
        texts, paths, cookie_text, terms_text = LANGS[self.lang]
        start = rng.randint(2008, 2016)
        moves = rng.choice([0, 1, 1, 2, 2])
        years = list(range(start, 2026))
        cuts = sorted(rng.sample(years[2:-1], moves)) if moves else []
        eras = [(a, b - 1) for a, b in zip([start, *cuts], [*cuts, 2026])]
        self.specs: list[CaptureSpec] = []
        self.truth: list[tuple[str, str, str | None]] = []
        home = f"https://www.{self.domain}/"
        home_redirect = rng.random() < 0.2
        used: set[str] = set()
        prev_url = None
        for k, (y0, y1) in enumerate(eras):
            kind = "path" if k == 0 else rng.choice(["path", "path", "subdomain", "pdf", "other-site"])
            if rng.random() < 0.12:
                path = f"/legal/doc-{rng.randint(100, 999)}"  # a path that says nothing
            else:
                path = rng.choice([p for p in paths if p not in used] or paths)
            used.add(path)
            if kind == "subdomain":
                url = f"https://privacy.{self.domain}/policy"
            elif kind == "pdf":
                url = f"https://www.{self.domain}/docs/privacy-{y0}.pdf"
            elif kind == "other-site":
                url = f"https://www.site{n:04d}-group.example{path}"
            else:
                url = f"https://www.{self.domain}{path}"
            if url == prev_url:
                url = url.rstrip("/") + "-v2"
            ctype = "application/pdf" if url.endswith(".pdf") else "text/html; charset=utf-8"
            body = b"%PDF-1.4 policy" if ctype == "application/pdf" else policy_page(self.domain, k)
            caps = []
            for y in range(y0, y1 + 1):
                for m in sorted(rng.sample(range(1, 13), rng.randint(1, 3))):
                    ts = f"{y}{m:02d}{rng.randint(1, 28):02d}{rng.randint(0, 23):02d}0000"
                    caps.append(ts)
                    self.specs.append(CaptureSpec(url, ts, 200, ctype, body))
            caps.sort()
            self.truth.append((url, caps[0], None if k == len(eras) - 1 else caps[-1]))
            if prev_url is not None and rng.random() < 0.6:  # the old URL redirects to the new one
                ts = f"{y0}0101{rng.randint(0, 23):02d}3000"
                self.specs.append(CaptureSpec(prev_url, ts, 301, "text/html", b"moved", location=url))
                if rng.random() < 0.3:  # and, years later, serves something else
                    self.specs.append(
                        CaptureSpec(prev_url, f"{min(2025, y1 + 1)}0606120000", 200, "text/html", b"<p>blog</p>")
                    )
            prev_url = url
            # the homepage of this era, one or two captures a year
            via_redirect = rng.random() < 0.2 and kind != "other-site"
            link_url = f"https://www.{self.domain}/go/privacy-{k}" if via_redirect else url
            nolink = rng.random() < 0.12
            links = [] if nolink else [(link_url, rng.choice(texts))]
            if rng.random() < 0.5:
                links.append((f"https://www.{self.domain}/cookie-policy", cookie_text))
            links.append((f"https://www.{self.domain}/terms", terms_text))
            if rng.random() < 0.3:
                links.append((f"https://www.{self.domain}/blog/privacy-day", "Blog"))
            rest = links[1:]
            rng.shuffle(rest)
            links = links[:1] + rest
            html = (
                f"<html lang='{self.lang}'><head><meta charset='utf-8'><title>{self.domain}</title></head><body>"
                f"<main><h1>Welcome {k}</h1><p>Products.</p></main>{_links_html(self.template, links)}</body></html>"
            ).encode()
            for y in range(y0, y1 + 1):
                for m in rng.sample([3, 9], rng.randint(1, 2)):
                    ts = f"{y}{m:02d}10120000"
                    if home_redirect:
                        self.specs.append(
                            CaptureSpec(f"http://{self.domain}/", ts, 301, "text/html", b"", location=home)
                        )
                        ts = ts[:12] + "05"
                    self.specs.append(CaptureSpec(home, ts, 200, "text/html; charset=utf-8", html))
                    if via_redirect:
                        self.specs.append(CaptureSpec(link_url, ts[:10] + "3000", 302, "text/html", b"", location=url))
        # decoys: pages whose URL says privacy but are not the policy, and a cookie policy
        self.specs.append(
            CaptureSpec(f"https://www.{self.domain}/cookie-policy", "20200101000000", 200, "text/html", b"c")
        )
        if rng.random() < 0.3:
            self.specs.append(
                CaptureSpec(
                    f"https://www.{self.domain}/account/privacy-settings", "20210101000000", 200, "text/html", b"s"
                )
            )
        if rng.random() < 0.3:
            self.specs.append(
                CaptureSpec(f"https://www.{self.domain}/blog/privacy-day", "20190128000000", 200, "text/html", b"b")
            )
        if rng.random() < 0.3:  # a page whose URL says privacy, captured often, that is no policy
            faq = (
                f"<html><head><title>Help</title></head><body><h1>Privacy FAQ</h1><p>Where is my {n}?</p></body></html>"
            )
            for y in range(2012, 2026, 2):
                faq_url = f"https://www.{self.domain}/help/privacy-faq"
                self.specs.append(CaptureSpec(faq_url, f"{y}0505050505", 200, "text/html", faq.encode()))


# --------------------------------------------------------------------------- scoring


def _days(ts: str | None) -> float:
    ts = ts or END
    return datetime.strptime(ts, "%Y%m%d%H%M%S").timestamp() / 86400


def _overlap(a: tuple, b: tuple) -> float:
    a0, a1, b0, b1 = _days(a[1]), _days(a[2]), _days(b[1]), _days(b[2])
    inter = max(0.0, min(a1, b1) - max(a0, b0))
    union = max(a1, b1) - min(a0, b0)
    return inter / union if union > 0 else float(a[1:] == b[1:])


def score(found: list[tuple], truth: list[tuple]) -> dict:
    """Matches between rows (url, from, to): greedy, best overlap first, each row used once."""
    pairs = sorted(
        (
            (_overlap(f, t), i, j)
            for i, f in enumerate(found)
            for j, t in enumerate(truth)
            if url_key(f[0]) == url_key(t[0])
        ),
        reverse=True,
    )
    used_f, used_t, matched, exact = set(), set(), 0, 0
    for ov, i, j in pairs:
        if ov < 0.5 or i in used_f or j in used_t:
            continue
        used_f.add(i), used_t.add(j)
        matched += 1
        exact += found[i][1:] == truth[j][1:]
    urls_f, urls_t = {url_key(f[0]) for f in found}, {url_key(t[0]) for t in truth}
    return {
        "found": len(found),
        "truth": len(truth),
        "matched": matched,
        "exact": exact,
        "url_found": len(urls_f),
        "url_truth": len(urls_t),
        "url_matched": len(urls_f & urls_t),
    }


def summarise(counts: list[dict]) -> dict:
    total = Counter()
    for c in counts:
        total.update(c)
    p = total["matched"] / total["found"] if total["found"] else 0.0
    r = total["matched"] / total["truth"] if total["truth"] else 0.0
    up = total["url_matched"] / total["url_found"] if total["url_found"] else 0.0
    ur = total["url_matched"] / total["url_truth"] if total["url_truth"] else 0.0
    return {
        "rows precision": f"{p:.3f}",
        "rows recall": f"{r:.3f}",
        "F1": f"{(2 * p * r / (p + r)) if p + r else 0:.3f}",
        "exact windows": f"{total['exact']}/{total['truth']}",
        "URL precision": f"{up:.3f}",
        "URL recall": f"{ur:.3f}",
    }


# --------------------------------------------------------------------------- baselines (plain urllib)


def _get(url: str) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def _cdx(base: str, **params) -> list[dict]:
    status, body, _ = _get(f"{base}/web/cdx?{urlencode({**params, 'output': 'json'})}")
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()] if status == 200 else []


def baseline_url_keywords(base: str, domain: str) -> tuple[list[tuple], int]:
    rows = _cdx(base, url=domain, matchType="domain", filter=f"~original:{index_pattern()}")
    by_url: dict[tuple, list[str]] = {}
    names: dict[tuple, str] = {}
    for r in rows:
        if r.get("status") == "200" and read_url(r["url"]).kind == PRIVACY:
            by_url.setdefault(url_key(r["url"]), []).append(r["timestamp"])
            names.setdefault(url_key(r["url"]), r["url"])
    return [(names[k], min(ts), max(ts)) for k, ts in by_url.items()], 1


def baseline_link_text(base: str, domain: str) -> tuple[list[tuple], int]:
    rows = [r for r in _cdx(base, url=f"{domain}/") if r.get("status") == "200"]
    by_year: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: r["timestamp"]):
        by_year.setdefault(r["timestamp"][:4], r)
    requests = 1
    seen: list[tuple[str, str]] = []
    for _, r in sorted(by_year.items()):
        status, body, headers = _get(f"{base}/web/{r['timestamp']}id_/{r['url']}")
        requests += 1
        if status != 200:
            continue
        links = page_links(body, headers.get("Content-Type"), r["url"])
        by_text = [(read_text(link.text).strength, link.order, link.url) for link in links]
        by_text = [x for x, link in zip(by_text, links) if read_text(link.text).kind == PRIVACY]  # its text alone
        if by_text:
            seen.append((r["timestamp"], max(by_text)[2]))
    found: dict[str, list[str]] = {}
    for ts, url in seen:
        found.setdefault(url, []).append(ts)
    return [(u, min(ts), max(ts)) for u, ts in found.items()], requests


# --------------------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=300)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--write", default=None, help="append the results to this markdown file")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sites = [Site(n, rng, held=n % 2 == 1) for n in range(args.sites)]
    specs = [s for site in sites for s in site.specs]
    with tempfile.TemporaryDirectory() as tmp:
        warc = write_warc(specs, Path(tmp) / "sites.warc.gz")
        local = LocalArchive(Path(tmp) / "pywb")
        local.build([warc])
        with local:
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "crawler.cli", "discover", *[s.domain for s in sites], "--archive", local.url]
                + ["--dialect", "pywb", "--unthrottled", "--format", "json"],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - t0
            if proc.returncode not in (0, 4):
                sys.exit(f"discover failed ({proc.returncode}): {proc.stderr[-2000:]}")
            access = [ln for ln in local.access_log.read_text().splitlines() if "/web/" in ln]
            ours: dict[str, list[tuple]] = {s.domain: [] for s in sites}
            for row in json.loads(proc.stdout):
                ours[row["company"]].append((row["url"], row["valid_from"], row["valid_to"]))
            asked = Counter()
            for line in proc.stderr.splitlines():
                if " row(s), " in line and line.split(":")[0] in ours:
                    parts = line.split(", ")
                    asked["cdx"] += int(parts[1].split()[0])
                    asked["memento"] += int(parts[2].split()[0])
            base_kw, base_lt, req_kw, req_lt = {}, {}, 0, 0
            t1 = time.perf_counter()
            for s in sites:
                base_kw[s.domain], n = baseline_url_keywords(local.url, s.domain)
                req_kw += n
            t2 = time.perf_counter()
            for s in sites:
                base_lt[s.domain], n = baseline_link_text(local.url, s.domain)
                req_lt += n
            t3 = time.perf_counter()
    results = []
    for name, found, requests, secs in (
        ("policytrail discover", ours, asked["cdx"] + asked["memento"], seconds),
        ("baseline: URL keywords in the index", base_kw, req_kw, t2 - t1),
        ("baseline: link text on yearly homepages", base_lt, req_lt, t3 - t2),
    ):
        for split, held in (("tuned", False), ("held-out", True)):
            chosen = [s for s in sites if s.held == held]
            row = {"method": name, "sites": f"{split} ({len(chosen)})"}
            row.update(summarise([score(found[s.domain], s.truth) for s in chosen]))
            row["requests/domain"] = f"{requests / len(sites):.1f}"
            row["seconds"] = f"{secs:.1f}"
            results.append(row)
    moves = Counter(len(s.truth) - 1 for s in sites)
    lines = [
        f"### Discovery on {len(sites)} synthetic sites ({today()}, commit {git_rev()})",
        "",
        f"Machine: {machine()}",
        "",
        f"{len(specs):,} captures; sites with 0/1/2 moves: {moves[0]}/{moves[1]}/{moves[2]}; "
        f"{sum(len(s.truth) for s in sites)} true rows. policytrail discover asked {asked['cdx']} CDX queries "
        f"and {asked['memento']} mementos: {asked['cdx'] / len(sites):.1f} and {asked['memento'] / len(sites):.1f} "
        f"per domain (pywb's access log: {len(access)} requests during the run, its start-up check included). "
        f"At the Wayback Machine's default limits (24 CDX, 480 mementos a minute) that is "
        f"{max(asked['cdx'] / 24, asked['memento'] / 480) / len(sites) * 60:.1f} s per domain.",
        "",
        table(results),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
