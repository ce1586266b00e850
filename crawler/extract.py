"""Archived bytes + mimetype -> structured policy text, or a typed "not a policy" verdict.

A first, honest extractor: it drops what is never policy text (scripts, styles, forms,
navigation, headers, footers, cookie banners), prefers the page's main content, and keeps
headings (``#``), list items (``-`` / ``1.``), table rows (``a | b``) and paragraphs as
Markdown-like lines. It neither hashes nor stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode

from .normalize import normalize_text

EXTRACTOR_VERSION = "html-1"

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
# Captures of these types are fetched and stored (a later extractor may read them) but make no version yet.
STORED_UNSUPPORTED = ("application/pdf",)

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "form",
    "button",
    "select",
    "nav",
    "header",
    "footer",
    "aside",
    "dialog",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "head",
    "link",
    "meta",
)
_CHROME_RE = re.compile(
    r"(^|[\s_-])(cookie|consent|gdpr-banner|navbar|nav-bar|menu|breadcrumb|"
    r"header|footer|site-header|site-footer|skip-link|share|social)([\s_-]|$)",
    re.I,
)
_BLOCK = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "address",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "center",
    "hr",
    "body",
    "html",
    "caption",
}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_WS = re.compile(r"\s+")

_CHALLENGE = re.compile(
    r"just a moment\.\.\.|attention required!? \| cloudflare|checking your browser|"
    r"cf-browser-verification|incapsula incident|request unsuccessful\. incapsula|"
    r"access denied|are you a robot|captcha",
    re.I,
)
_NOT_FOUND = re.compile(
    r"\b(404|page not found|not found|page (you|you're) looking for|no longer available|"
    r"doesn't exist|does not exist)\b",
    re.I,
)
_POLICY_WORDS = re.compile(
    r"privacy|personal (data|information)|datenschutz|données|privacidad|"
    r"privacidade|riservatezza|cookie",
    re.I,
)
MIN_POLICY_CHARS = 400


@dataclass(frozen=True)
class Extraction:
    """The verdict on one snapshot: ``policy`` with its text, else the reason it holds none."""

    verdict: str  # "policy" | "not_policy" | "unsupported"
    text: str = ""
    reason: str = ""
    title: str = ""
    extractor: str = EXTRACTOR_VERSION

    @property
    def is_policy(self) -> bool:
        return self.verdict == "policy"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _charset(content_type: str | None) -> str | None:
    m = re.search(r"charset=([\w.:-]+)", content_type or "", re.I)
    return m.group(1) if m else None


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode with the header charset, BOM, ``<meta>`` or detection; broken bytes become U+FFFD."""
    header = f"charset={_charset(content_type)}" if _charset(content_type) else None
    _, text = html_to_unicode(header, body)
    return text


class _Blocks:
    """Collects inline text into block lines."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.buf: list[str] = []
        self.prefix = ""

    def text(self, s: str | None) -> None:
        if s:
            self.buf.append(s)

    def flush(self) -> None:
        line = _WS.sub(" ", "".join(self.buf)).strip()
        if line:
            self.blocks.append(self.prefix + line)
        self.buf = []
        self.prefix = ""

    def newline(self) -> None:
        self.flush()


def _walk(el: etree._Element, out: _Blocks, lists: list[list]) -> None:
    tag = el.tag.lower() if isinstance(el.tag, str) else None
    if tag is None:  # comment or processing instruction
        out.text(el.tail)
        return
    if tag == "br":
        out.newline()
    elif tag in _HEADINGS:
        out.flush()
        out.prefix = "#" * _HEADINGS[tag] + " "
        out.text(el.text)
        for child in el:
            _walk(child, out, lists)
        out.flush()
    elif tag in ("ul", "ol", "menu"):
        out.flush()
        start = el.get("start", "1")
        lists.append([tag, int(start) if start.isdigit() else 1])
        out.text(el.text if el.text and el.text.strip() else None)
        for child in el:
            _walk(child, out, lists)
        lists.pop()
        out.flush()
    elif tag == "li":
        out.flush()
        indent = "  " * max(len(lists) - 1, 0)
        if lists and lists[-1][0] == "ol":
            marker = f"{lists[-1][1]}. "
            lists[-1][1] += 1
        else:
            marker = "- "
        out.prefix = indent + marker  # a nested list flushes the item's own text with it
        out.text(el.text)
        for child in el:
            _walk(child, out, lists)
        out.flush()
    elif tag == "tr":
        out.flush()
        cells = [
            _WS.sub(" ", c.text_content()).strip()
            for c in el
            if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")
        ]
        if any(cells):
            out.blocks.append(" | ".join(cells))
    elif tag in _BLOCK:
        out.flush()
        out.text(el.text)
        for child in el:
            _walk(child, out, lists)
        out.flush()
    else:
        out.text(el.text)
        for child in el:
            _walk(child, out, lists)
    out.text(el.tail)


def _is_chrome(el: etree._Element) -> bool:
    attrs = " ".join(filter(None, (el.get("id"), el.get("class"), el.get("role"))))
    if el.get("aria-hidden") == "true" or el.get("hidden") is not None:
        return True
    if el.get("role") in ("navigation", "banner", "contentinfo", "dialog", "alertdialog"):
        return True
    return bool(attrs) and bool(_CHROME_RE.search(attrs)) and el.tag not in ("body", "html", "main", "article")


def _main_content(root: etree._Element) -> etree._Element:
    """The page's main content when it declares one with enough text, else the body."""
    body = root.find(".//body")
    body = body if body is not None else root
    total = len(body.text_content())
    for xpath in (".//main", ".//*[@role='main']", ".//article"):
        found = root.xpath(xpath)
        if found:
            best = max(found, key=lambda e: len(e.text_content()))
            if len(best.text_content()) >= max(MIN_POLICY_CHARS, 0.3 * total):
                return best
    return body


def html_to_text(html: str) -> tuple[str, str]:
    """HTML -> (structured text, title)."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return "", ""
    title_el = root.find(".//title")
    title = _WS.sub(" ", title_el.text_content()).strip() if title_el is not None else ""
    for el in list(root.iter(etree.Comment)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in root.xpath("|".join(f"//{t}" for t in _DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    candidates = root.xpath("//*[@id or @class or @role or @aria-hidden or @hidden]")
    for el in [e for e in candidates if _is_chrome(e)]:
        if el.getparent() is not None:
            el.drop_tree()
    out = _Blocks()
    _walk(_main_content(root), out, [])
    out.flush()
    return "\n\n".join(out.blocks), title


def _judge(text: str, title: str) -> Extraction:
    """Not-a-policy verdicts: challenges, soft 404s, near-empty pages, pages without privacy wording."""
    head = f"{title}\n{text[:2000]}"
    if _CHALLENGE.search(head) and len(text) < 3000:
        return Extraction("not_policy", reason="bot challenge or access-denied page", title=title)
    if len(text) < MIN_POLICY_CHARS:
        if _NOT_FOUND.search(head):
            return Extraction("not_policy", reason="soft 404 (page not found)", title=title)
        return Extraction("not_policy", reason=f"near-empty page ({len(text)} characters of text)", title=title)
    if not _POLICY_WORDS.search(head) and not _POLICY_WORDS.search(text):
        return Extraction("not_policy", reason="no privacy wording: another page is served at this URL", title=title)
    return Extraction("policy", text=text, title=title)


def extract(body: bytes, content_type: str | None) -> Extraction:
    """Extract the policy text from one archived body."""
    mt = media_type(content_type)
    if mt in HTML_TYPES or (not mt and body.lstrip()[:1] == b"<"):
        text, title = html_to_text(decode_html(body, content_type))
    elif mt in TEXT_TYPES:
        text, title = decode_html(body, content_type), ""
    else:
        return Extraction("unsupported", reason=f"unsupported content type {mt or 'unknown'}")
    return _judge(normalize_text(text), title)
