"""Archived bytes + content type -> structured policy text, or a typed "not a policy" verdict.

Generic rules, chosen by ``bench/bench_ota.py`` over readability-lxml and trafilatura on Open
Terms Archive's judged histories (docs/benchmarks.md): drop what is never policy text
(scripts, styles, forms, navigation, headers, footers, cookie banners, hidden elements), prefer
the page's declared main content, and keep headings (``#``), list items (``-`` / ``1.``), table
rows (``a | b``) and paragraphs as Markdown-like lines. Page chrome that varies from fetch to
fetch is removed here (copyright lines; Cloudflare's e-mail obfuscation is decoded), so a
version changes when the words of the policy change. PDFs are read with pypdf.

Per-target rules (``crawler.rules``) can name the content (``select``) and more chrome
(``remove``) with CSS. The extractor neither hashes nor stores.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from dataclasses import dataclass, field

from lxml import etree
from w3lib.encoding import html_to_unicode

from crawler.extract import blocks
from crawler.extract.blocks import COPYRIGHT_TAIL, Dropped, element_label, strip_invisible, walk
from crawler.extract.normalize import normalize_text
from crawler.extract.rules import Rule, SkipRule

EXTRACTOR_VERSION = "html-3"

logging.getLogger("pypdf").setLevel(logging.ERROR)  # a broken PDF is a verdict, not a log line

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
PDF_TYPES = ("application/pdf", "application/x-pdf")

_PASSWORD = etree.XPath("//input[translate(@type, 'PASSWORD', 'password') = 'password']")
_META_REFRESH = etree.XPath("//meta[translate(@http-equiv, 'REFSH', 'refsh') = 'refresh'][contains(@content, '=')]")
# a short line with a copyright marker and a year ("© 2024 Example Inc.", "Copyright (c) 2019-2024")

# -- verdicts ------------------------------------------------------------------------------
_CHALLENGES = (
    ("Cloudflare", re.compile(r"cf-chl-|challenge-platform|cf-browser-verification|attention required! \| cloudflare"
                              r"|<title>just a moment\.\.\.</title>", re.I)),
    ("Imperva", re.compile(r"_incapsula_resource|incapsula incident id|request unsuccessful\. incapsula", re.I)),
    ("Distil/Imperva", re.compile(r"pardon our interruption|distil_r_captcha", re.I)),
    ("PerimeterX", re.compile(r"px-captcha|_pxhd|perimeterx", re.I)),
    ("DataDome", re.compile(r"captcha-delivery\.com|datadome", re.I)),
    ("Akamai", re.compile(r"<title>access denied</title>[\s\S]*reference #\d", re.I)),
    ("CAPTCHA", re.compile(r"are you a robot|verify you are (a )?human|checking your browser", re.I)),
)  # fmt: skip
_NOT_FOUND = re.compile(
    r"\b(404|page not found|not found|page (you|you're) (are )?looking for|no longer available|"
    r"doesn't exist|does not exist|seite nicht gefunden|page introuvable|página no encontrada)\b",
    re.I,
)
_MOVED = re.compile(
    r"\b(this page has (been )?moved|has (been )?moved to|page has been relocated|you are being redirected|"
    r"redirecting( you)?( now)?\b|if you are not redirected|click here if (you are|you're) not redirected|"
    r"new (address|location) of this page)",
    re.I,
)
_LOGIN = re.compile(r"\b(log ?in|sign ?in|anmelden|connexion|iniciar sesi[oó]n)\b", re.I)
_CONSENT_WALL = re.compile(
    r"\b(accept all|reject all|agree and (continue|proceed)|manage (your )?(cookie )?(settings|preferences|options)|"
    r"before you continue|we value your privacy)\b",
    re.I,
)
# The vocabulary of privacy policies: one entry per topic, as word prefixes (looked up in the
# page's sorted word list) and phrases (substrings), in several languages.
_POLICY_TOPICS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("privacy", "datenschutz", "confidentialit", "privacidad", "privacidade", "riservatezza", "privacybeleid",
      "integritet"), ("プライバシー", "隐私", "隱私", "개인정보 처리방침", "конфиденциальност")),
    ((), ("personal data", "personal information", "personenbezogen", "données personnelles",
          "données à caractère personnel", "datos personales", "dados pessoais", "dati personali", "persoonsgegevens",
          "個人情報", "个人信息", "個人資料", "개인정보", "персональн")),
    (("collect", "erheb", "recopil", "colet", "raccog"), ("収集", "收集", "수집", "сбор")),
    (("dritt", "tiers", "tercer", "terceir", "terzi"), ("third part", "third-part", "第三者", "第三方", "제3자")),
    (("cookie",), ("クッキー", "쿠키")),
    (("consent", "einwillig", "consentement", "consentimiento", "consentimento"), ("同意", "동의", "соглас")),
    (("process", "verarbeit", "traitement", "tratamiento", "tratamento", "trattamento"), ()),
    (("retain", "retention", "store", "storage", "speicher", "conserv"), ()),
    (("disclos", "share", "sharing", "weitergab", "partag", "compart"), ()),
    (("right", "rechte", "droit", "derecho", "direito", "diritt"), ("権利", "权利", "권리")),
    (("controller", "verantwortlich", "responsable"), ()),
    (("gdpr", "ccpa", "dsgvo", "rgpd", "lgpd", "cpra"), ()),
    (("unsubscrib", "widerspr", "opposition"), ("opt out", "opt-out")),
    (("delet", "erase", "erasure", "lösch", "supprim", "elimin"), ()),
    (("secur", "sicherheit", "sécurité", "segur", "sicurezza"), ("安全", "보안", "безопасност")),
    (("child", "minor", "kinder", "enfant", "menor", "minori"), ()),
    (("advertis", "werbung", "publicit", "pubblicit"), ()),
    (("transfer", "übermitt", "übertrag", "transfert"), ()),
    (("email", "contact", "kontakt", "contactez"), ("e-mail",)),
    (("law", "legal", "gesetz", "loi", "ley"), ()),
)  # fmt: skip
_POLICY_TITLE = re.compile(
    r"privacy|datenschutz|confidentialit|privacidad|privacidade|riservatezza|privacybeleid|personal data|"
    r"data protection|cookie policy|policy|richtlinie|politique|política|informativa|"
    r"プライバシー|個人情報|隐私|个人信息|개인정보",
    re.I,
)
MIN_POLICY_CHARS = 400
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Extraction:
    """The verdict on one snapshot: ``policy`` with its text, else the reason it holds none."""

    verdict: str  # "policy" | "not_policy" | "unsupported"
    text: str = ""
    reason: str = ""
    title: str = ""
    extractor: str = EXTRACTOR_VERSION
    regions: tuple[tuple[str, int], ...] = ()  # runs of the text's lines: (slot, lines); "" the main block
    dropped: tuple[Dropped, ...] = ()  # with ``explain``: what was left out of the text, and why

    @property
    def is_policy(self) -> bool:
        return self.verdict == "policy"


def regions_of(slots: list[str]) -> tuple[tuple[str, int], ...]:
    """Consecutive lines of one slot as runs; none when every line is in the main block."""
    if not any(slots):
        return ()
    runs: list[list] = []
    for slot in slots:
        if runs and runs[-1][0] == slot:
            runs[-1][1] += 1
        else:
            runs.append([slot, 1])
    return tuple((slot, n) for slot, n in runs)


@dataclass
class Page:
    """What the extractor read from one HTML page: text, title and the signals of what it is."""

    text: str = ""
    title: str = ""
    headings: tuple[str, ...] = ()
    password_field: bool = False
    meta_refresh: bool = False
    raw: str = ""  # the start and end of the HTML, where challenge pages give themselves away
    rule_missed: str = ""
    slots: list[str] = field(default_factory=list)  # per line of text: "" in the main block, else its region
    dropped: list[Dropped] = field(default_factory=list)  # with ``explain``: blocks left out, and why

    def challenge(self) -> str | None:
        """The bot-challenge vendor whose markers the page carries, if any."""
        seen = f"{self.raw}\n{self.text[:2000]}"
        return next((name for name, rx in _CHALLENGES if rx.search(seen)), None)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _charset(content_type: str | None) -> str | None:
    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.I)
    return m.group(1) if m else None


def _detect(body: bytes) -> str | None:
    """Encoding by statistics, for bodies that declare none and are not UTF-8."""
    try:
        body.decode("utf-8")
        return "utf-8"  # valid UTF-8 is almost never anything else, and checking it is cheap
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    return best.encoding if best else None


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode with the header charset, a BOM, ``<meta>``, then detection; broken bytes become U+FFFD."""
    charset = _charset(content_type)
    _, text = html_to_unicode(f"charset={charset}" if charset else None, body, auto_detect_fun=_detect)
    return text


# -- HTML ------------------------------------------------------------------------------------
_TEXT_LEN = etree.XPath("string-length(string())")


def _text_len(el) -> int:
    return int(_TEXT_LEN(el))


def _main_content(root):
    """The page's main content when it declares one with enough text, else the body."""
    body = root.find(".//body")
    body = body if body is not None else root
    total = _text_len(body)
    for xpath in (".//main", ".//*[@role='main']", ".//article"):
        found = root.xpath(xpath)
        if found:
            best = max(found, key=_text_len)
            if _text_len(best) >= max(MIN_POLICY_CHARS, 0.3 * total):
                return best
    return body


def _decode_cfemail(hexstr: str) -> str | None:
    """Cloudflare e-mail obfuscation: the first byte is the XOR key of the rest (new key each fetch)."""
    try:
        data = bytes.fromhex(hexstr)
        return bytes(b ^ data[0] for b in data[1:]).decode("utf-8")
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


def _unobfuscate_emails(root) -> None:
    for el in root.xpath("//*[@data-cfemail] | //a[contains(@href, '/cdn-cgi/l/email-protection#')]"):
        code = el.get("data-cfemail") or el.get("href", "").rsplit("#", 1)[-1]
        email = _decode_cfemail(code)
        if email and el.get("data-cfemail") is not None:
            tail = el.tail
            for child in list(el):
                el.remove(child)
            el.text, el.tail = email, tail
        elif email and "[email" in "".join(el.itertext()):
            for child in list(el):
                el.remove(child)
            el.text = email


_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, encoding="utf-8")


# a replacement character where the served bytes broke inside a tag ("<a\ufffd href=...>", "<a \ufffdhref=...>"):
# the tag is the one it names, with the attributes it names, not an unknown element or attribute
_BROKEN_TAG = re.compile("</?[A-Za-z][^<>\ufffd]*\ufffd[^<>]*>")


def parse_html(html: str):
    if "\ufffd" in html:
        html = _BROKEN_TAG.sub(lambda m: m.group().replace("\ufffd", " "), html)
    try:
        root = etree.fromstring(html.encode("utf-8", "surrogatepass"), _PARSER)
    except (etree.ParserError, ValueError):
        return None
    return root


def html_to_page(html: str, rule: Rule | None = None, explain: bool = False) -> Page:
    """HTML -> the page's structured text (each line with its slot), title and what-is-it signals;
    ``explain``: also every block left out, with why."""
    root = parse_html(html)
    if root is None:
        return Page()
    page = Page()
    title_el = root.find(".//title")
    page.title = " ".join("".join(title_el.itertext()).split()) if title_el is not None else ""
    page.password_field = bool(_PASSWORD(root))
    page.meta_refresh = bool(_META_REFRESH(root))
    page.raw = html[:6000] + html[-3000:] if len(html) > 9000 else html
    _unobfuscate_emails(root)
    if rule is not None:
        for el in rule.removed(root):
            if el.getparent() is not None:
                _drop(el, el.getparent())
    strip_invisible(root)
    content = rule.selected(root) if rule is not None else None
    if rule is not None and rule.select and not content:
        page.rule_missed = (
            f"the per-target rule for {rule.company} ({rule.id}) selected nothing: has the layout changed?"
        )
        return page
    walked = walk(content if content else [_main_content(root)], root, explain=explain)
    page.dropped = walked.dropped
    lines, slots = [], []
    for line, slot in zip(walked.lines, walked.slots):
        body = line.lstrip(" ")  # line by line, so that each line keeps its slot (and its indentation)
        line = line[: len(line) - len(body)] + normalize_text(body)
        if not line.strip():
            continue
        if "copyright" in blocks.SIGNALS and (found := COPYRIGHT_TAIL.search(line)):
            why = "copyright notice (its year changes every January)"
            page.dropped.append(Dropped(why, found.group(), slot or "main"))
            line = line[: found.start()].rstrip()
            if not line.strip():
                continue
        lines.append(line)
        slots.append(slot)
    page.headings = tuple(b for b in lines[:200] if b.startswith("#"))
    page.text = "\n\n".join(lines)
    page.slots = slots
    return page


def _drop(el, parent) -> None:
    """Remove an element, keeping the text that follows it."""
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


# -- PDF -------------------------------------------------------------------------------------
_HYPHEN_BREAK = re.compile(r"(\w)-\n\s*(\w)")
_LIST_ITEM = re.compile(r"^([-•*▪◦]|\d+[.)]|[a-z][.)])\s")


def pdf_to_page(body: bytes) -> Page:
    """The text of a PDF, lines re-joined into paragraphs (blank lines and list items kept); its
    title from the document's metadata, else its first line."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [_page_text(page) for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "")
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError):
        return Page()
    # a line broken after a hyphen is one word again; the hyphen stays ("third-\nparty"), as a
    # soft hyphenation cannot be told from a compound
    text = _HYPHEN_BREAK.sub(r"\1-\2", "\n".join(pages))
    lines = [line.strip() for line in text.splitlines()]
    full = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        starts_item = bool(_LIST_ITEM.match(line))
        # a paragraph ends at a blank line, before a list item, after a heading, or after a short
        # line that ends a sentence (the last line of a paragraph rarely fills the width)
        ended = current and (
            _is_heading(current[-1]) or (current[-1].endswith((".", "!", "?", ":")) and len(current[-1]) < 0.8 * full)
        )
        if not line or starts_item or ended:
            if current:
                paragraphs.append(" ".join(current))
            current = [line] if line else []
        else:
            current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    paragraphs = [p for p in paragraphs if p]
    return Page(text="\n\n".join(paragraphs), title=title or (paragraphs[0][:200] if paragraphs else ""))


def _page_text(page) -> str:
    """A page's text with its vertical gaps as blank lines (layout mode), else plain."""
    try:
        return page.extract_text(extraction_mode="layout") or ""
    except Exception:  # noqa: BLE001 -- layout mode fails on some fonts; plain mode is the fallback
        return page.extract_text() or ""


def _is_heading(line: str) -> bool:
    return len(line) < 80 and not line.endswith((".", ",", ";", ":")) and (line.isupper() or line.istitle())


# -- verdicts --------------------------------------------------------------------------------
def policy_terms(text: str) -> int:
    """How many of the privacy-policy topics the text speaks of (0-20)."""
    lowered = text.lower()
    words = sorted(set(lowered.split()))  # words keep trailing punctuation: prefixes still match

    def has_prefix(prefix: str) -> bool:
        i = bisect_left(words, prefix)
        return i < len(words) and words[i].startswith(prefix)

    return sum(
        1
        for prefixes, phrases in _POLICY_TOPICS
        if any(has_prefix(p) for p in prefixes) or any(p in lowered for p in phrases)
    )


def judge(page: Page) -> Extraction:
    """Not-a-policy verdicts, from the page's signals and its text."""
    text, title = page.text, page.title
    if page.rule_missed:
        return Extraction("not_policy", reason=page.rule_missed, title=title)
    head = f"{title}\n{text[:2000]}"
    challenge = page.challenge() if len(text) < 5000 else None
    if challenge:
        return Extraction("not_policy", reason=f"bot challenge ({challenge})", title=title)
    if len(text) < 2000 and any(_NOT_FOUND.search(t) for t in (title, *page.headings[:2])):
        # a soft 404 in a site's template: the menus and footers around it make it longer
        return Extraction("not_policy", reason="soft 404 (page not found)", title=title)
    if (
        len(text) + 2 * len(_CJK.findall(text[:MIN_POLICY_CHARS])) < MIN_POLICY_CHARS
    ):  # a CJK character says about a word
        if _NOT_FOUND.search(head):
            return Extraction("not_policy", reason="soft 404 (page not found)", title=title)
        if page.meta_refresh or _MOVED.search(head):
            return Extraction("not_policy", reason="page moved stub (redirect page)", title=title)
        if page.password_field or _LOGIN.search(title):
            return Extraction("not_policy", reason="login page", title=title)
        return Extraction("not_policy", reason=f"near-empty page ({len(text)} characters of text)", title=title)
    terms = policy_terms(text)
    if len(text) < 3000:
        if page.password_field:
            return Extraction("not_policy", reason="login page", title=title)
        # a short policy may speak of accepting cookies or of a moved page too; these pages cover
        # few of the policy topics (a consent wall 2-4, a short real policy 8 or more)
        if _CONSENT_WALL.search(head) and terms < 6:
            return Extraction("not_policy", reason="cookie wall (a consent page instead of the policy)", title=title)
        if _MOVED.search(head) and terms < 6:
            return Extraction("not_policy", reason="page moved stub (redirect page)", title=title)
    # a policy speaks of many of its topics; a page titled as one may be short
    titled = bool(_POLICY_TITLE.search(title) or any(_POLICY_TITLE.search(h) for h in page.headings[:5]))
    short = len(text) < 3000
    if terms < ((3 if short else 6) if titled else (5 if short else 10)):
        kind = "no privacy wording" if terms <= 2 else "too little privacy wording"
        return Extraction(
            "not_policy",
            reason=f"{kind} ({terms} of {len(_POLICY_TOPICS)} policy topics): another page is served at this URL",
            title=title,
        )
    return _policy(page)


def _policy(page: Page) -> Extraction:
    return Extraction(
        "policy", text=page.text, title=page.title, regions=regions_of(page.slots), dropped=tuple(page.dropped)
    )


def _is_html(body: bytes, mt: str) -> bool:
    """HTML by its media type, or, with none, by its first character."""
    return mt in HTML_TYPES or (not mt and body.lstrip()[:1] == b"<")


def extract(
    body: bytes, content_type: str | None, rule: Rule | None = None, as_policy: bool = False, explain: bool = False
) -> Extraction:
    """Extract the policy text from one archived body (``rule``: the target's rule in force, if any).

    ``as_policy``: a person judged this capture to be the policy, so its text is the policy's
    whatever the verdicts say (a page with no text at all still holds none)."""
    mt = media_type(content_type)
    if mt in PDF_TYPES or body.lstrip()[:5].startswith(b"%PDF-"):
        page = pdf_to_page(body)
        if not page.text:
            return Extraction("not_policy", reason="PDF without a text layer (scanned?) or unreadable")
        page.text = normalize_text(page.text)
    elif _is_html(body, mt):
        page = html_to_page(decode_html(body, content_type), rule, explain)
    elif mt in TEXT_TYPES:
        page = Page(text=normalize_text(decode_html(body, content_type)))
    else:
        return Extraction("unsupported", reason=f"unsupported content type {mt or 'unknown'}")
    if as_policy and page.text:
        return _policy(page)
    return judge(page)


# -- the page's frame -------------------------------------------------------------------------
_FRAME = frozenset("body div section article main header footer nav aside table tbody tr td th form frameset".split())
FRAME_DEPTH = 6


def skeleton(body: bytes, content_type: str | None) -> frozenset[str]:
    """The page's frame: the paths of its containers a few levels deep, each named by its tag and its
    class and id words (hashes a build made left out). Two captures of one page
    template share most of them whatever text they show; a redesign shares few. Empty for a body that
    is not HTML."""
    if not _is_html(body, media_type(content_type)):
        return frozenset()
    root = parse_html(decode_html(body, content_type))
    found: set[str] = set()
    stack = [(root, "", 0)] if root is not None else []
    while stack:
        el, path, depth = stack.pop()
        for child in el:
            if isinstance(child.tag, str) and child.tag.lower() in _FRAME:
                here = f"{path}/{element_label(child)}"
                found.add(here)
                if depth < FRAME_DEPTH:
                    stack.append((child, here, depth + 1))
    return frozenset(found)


# -- skip rules ------------------------------------------------------------------------------
_INVISIBLE = ("script", "style", "noscript", "template", "head")


def skip_match(rule: SkipRule, body: bytes, content_type: str | None) -> str | None:
    """What of ``rule`` matches this body (``selector '...'`` or ``text '...'``), or None.

    Selectors are tried on the HTML as archived (before any chrome is removed); texts on the
    page's visible text (an HTML page's text outside scripts and styles, a PDF's text layer, a
    plain-text body), case-insensitively and with white space collapsed.
    """
    mt = media_type(content_type)
    sniff = body.lstrip()[:5]
    root = None
    if mt in PDF_TYPES or sniff.startswith(b"%PDF-"):
        text = pdf_to_page(body).text
    elif _is_html(body, mt):
        root = parse_html(decode_html(body, content_type))
        if root is None:
            return None
        for sel, css in zip(rule.selectors, rule.select):
            if sel(root):
                return f"selector {css!r}"
        etree.strip_elements(root, *_INVISIBLE, with_tail=False)
        text = " ".join(root.itertext())
    elif mt in TEXT_TYPES:
        text = decode_html(body, content_type)
    else:
        return None
    seen = " ".join(text.split()).casefold()
    for wanted in rule.text:
        if " ".join(wanted.split()).casefold() in seen:
            return f"text {wanted!r}"
    return None
