"""The links of an archived homepage, with their text and where on the page they sit.

Footer and header links are where sites put their privacy policy; a link is read by its text
(and, when its text says nothing, its title, aria-label or image alt), then by its URL.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from crawler.discover.words import PRIVACY, Reading, read_text, read_url
from crawler.extract.page import decode_html, parse_html

_REGION_HINT = re.compile(r"foot|bottom|legal|copyright|colophon", re.I)
_HEADER_HINT = re.compile(r"head|nav|menu|top", re.I)


class Link(NamedTuple):
    """One link of a page, read."""

    url: str  # absolute, without fragment
    text: str
    region: str  # footer | header | body
    kind: str | None  # privacy | cookies | terms | None
    score: float
    order: int  # position on the page


def _region(el) -> str:
    node = el
    while node is not None:
        tag = node.tag if isinstance(node.tag, str) else ""
        hints = f"{node.get('class', '')} {node.get('id', '')} {node.get('role', '')}"
        if tag == "footer" or "contentinfo" in hints or _REGION_HINT.search(hints):
            return "footer"
        if tag in ("header", "nav") or _HEADER_HINT.search(hints):
            return "header"
        node = node.getparent()
    return "body"


def clean_url(url: str) -> str:
    """An absolute http(s) URL without its fragment (the same page)."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def read_link(text: str, url: str) -> Reading:
    """What a link leads to: its text first, its URL as support (or alone, for a link whose text says nothing)."""
    by_text, by_url = read_text(text), read_url(url)
    if by_text.kind == PRIVACY:
        return Reading(PRIVACY, by_text.strength + (1.0 if by_url.kind == PRIVACY else 0.0))
    if by_text.kind is None and by_url.kind == PRIVACY and len(text) <= 40:
        return Reading(PRIVACY, by_url.strength - 0.5)  # an icon, "Legal", "Read more": the URL alone
    if by_text.kind:
        return by_text
    return Reading(by_url.kind, by_url.strength / 2) if by_url.kind else Reading(None, 0.0)


def page_links(body: bytes, content_type: str | None, base_url: str) -> list[Link]:
    """Every http(s) link of an HTML page, read (``base_url``: the page's original URL; ``<base href>`` counts)."""
    root = parse_html(decode_html(body, content_type))
    if root is None:
        return []
    base = base_url
    for b in root.iter("base"):
        if b.get("href"):
            base = urljoin(base_url, b.get("href"))
            break
    links = []
    for order, a in enumerate(root.iter("a", "area")):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            continue
        text = " ".join(etree.tostring(a, method="text", encoding="unicode", with_tail=False).split())
        if not text:
            alts = [img.get("alt", "") for img in a.iter("img")]
            text = " ".join(x for x in (a.get("title"), a.get("aria-label"), *alts) if x).strip()
        kind, score = read_link(text, url)
        region = _region(a)
        if kind and region != "body":
            score += 0.5
        links.append(Link(clean_url(url), text, region, kind, score, order))
    return links


def best_link(links: list[Link], kind: str = PRIVACY) -> Link | None:
    """The link most likely to lead to a page of ``kind``: the highest score, then the last on the page
    (footers come last), never a link to the page itself."""
    found = [link for link in links if link.kind == kind]
    if not found:
        return None
    return max(found, key=lambda link: (link.score, link.order))
