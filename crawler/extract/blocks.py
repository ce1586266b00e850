"""The HTML walk: a page's tree -> Markdown-like lines, each tagged with the slot of the page it came
from, and every block left out with the reason it was.

Page furniture is told from the policy by general signals, never by a site's names:

- **where it sits**: the *main block* is the deepest element holding most of the page's prose
  (words outside links) with no other prose beside it; what lies outside it is furniture when it
  is link-dense, an interface control or hinted as such (below);
- **what it is made of**: lists whose items are all links, link-dense blocks, links-only lines
  inside the policy (tab strips, "related" boxes), interface controls (buttons, forms, tab lists,
  dialogs, navigation, headers, footers, asides and the ARIA roles for them);
- **what it calls itself**: class and id words of furniture (sidebar, widget, related, promo,
  banner, share, breadcrumb, tabs, cookie…), matched as whole words of the attribute; hashed
  class names (``css-1x7d9q``) carry no signal and are ignored;
- hidden elements.

A block that contains the main block is never furniture, whatever it calls itself (a site that
wraps the whole page in ``<form>`` or ``<div class="page-with-sidebar">``). Each line outside the
main block carries its *slot* -- the path of the page region it belongs to, by tag, class and id
words -- so that derive can learn, from a URL's captures over time, which regions change on their
own schedule while the policy does not (``crawler.derive.chrome``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

# elements that never hold policy text: removed before anything is measured
INVISIBLE_TAGS = (
    "script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas", "video", "audio",
    "head", "link", "meta",
)  # fmt: skip
_CONTROL_TAGS = {
    "nav": "navigation", "header": "page header", "footer": "page footer", "aside": "aside (complementary content)",
    "form": "form", "button": "button", "select": "form control", "input": "form control",
    "textarea": "form control", "dialog": "dialog", "menu": "menu",
}  # fmt: skip
_CONTROL_ROLES = {
    "navigation": "navigation", "banner": "page banner", "contentinfo": "page footer", "dialog": "dialog",
    "alertdialog": "dialog", "search": "search box", "tablist": "tab strip", "tab": "tab strip",
    "toolbar": "toolbar", "menu": "menu", "menubar": "menu", "button": "button",
    "complementary": "aside (complementary content)", "alert": "alert", "status": "status message",
}  # fmt: skip
# words of class and id attributes that name furniture (whole words of the attribute)
_HINT_WORDS = frozenset(
    """
    sidebar side-bar widget widgets related recommended promo promotion promotions banner banners ad ads advert
    advertisement sponsor sponsored share sharing social breadcrumb breadcrumbs crumbs tabs tab tablist toolbar
    cookie cookies consent gdpr navbar nav menu menus submenu megamenu header footer masthead skip skiplink
    newsletter subscribe signup popup modal overlay toast snackbar notification announcement
    trending latest news headlines teaser teasers carousel slider testimonial testimonials rating feedback
    helpful survey chat livechat language lang locale switcher selector pagination pager comments comment
    disqus author byline tags tagcloud toc
    """.split()
)  # fmt: skip
# a short line with a copyright marker and a year ("© 2024 Example Inc.", "Copyright (c) 2019-2024")
COPYRIGHT_LINE = re.compile(r"^.{0,100}(©|\(c\)|copyright)\s*(©\s*|\(c\)\s*)?(19|20)\d\d.{0,100}$", re.I)
# ... and the notice ending a line, from its marker on: what a line keeps whether or not a <br> set the
# notice apart from the words before it (the version key ignores line breaks, so must this)
COPYRIGHT_TAIL = re.compile(r"(?:©|(?<![\w)])\(c\)|\bcopyright\b)\s*(?:©\s*|\(c\)\s*)?(?:19|20)\d\d.{0,100}$", re.I)
_ALNUM = re.compile(r"\w")
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")  # "site-sidebar", "promo_strip", "relatedLinks"
# in a slot's path, a class or id word counts when it is a word of a vocabulary (lower case letters,
# hyphens, underscores); one with a digit, a capital or a run of five consonants is a build hash or a
# counter that changes from build to build
_MEANINGFUL = re.compile(r"^[a-z]+(?:[-_]+[a-z]+)*$")
_CONSONANTS = re.compile(r"[bcdfghjklmnpqrstvwxz]{5}")
# the letter pairs most frequent in English words (a hash's letters rarely fall into them)
_COMMON_PAIRS = frozenset(
    "th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me de hi ri "
    "ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di fo ho pe ec pr no ct us ac ot il tr ly nc et ut "
    "ss so rs un lo wa ge ie wh ee wi em ad ol rt po we na ul ni ts mo ow pa im mi ai sh ir su id os iv ia am fi "
    "ci vi pl ig tu ev ld ry mp fe bl ab gh ty op wo sa ay ex ke fr oo av ag if ap gr od bo sp rd do uc bu ei ov "
    "by rm ep tt oc fa ef cu rn sc gi da yo cr cl du ga qu ue ff ba ey ls va um pp ua up lu go ht ru ug ds lt pi "
    "rc rr eg au ck ew mu br bi pt ak pu ui rg ib tl ny ki rk ys ob mm fu ph og ms ye ud mb ip ub oi rl gu dr hr "
    "cc tw ft wn nu af hu nn eo vo rv nf xp gn sm fl iz ok nl my gl aw ju oa eq sy sl ps jo ze yp".split()
)
BLOCK_TAGS = frozenset(
    "p div section article main blockquote pre address dl dt dd figure figcaption table tbody thead tfoot "
    "center hr body html caption details summary ul ol li header footer nav aside form td th".split()
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LISTS = ("ul", "ol", "menu")
MAIN_SHARE = 0.8  # the main block holds at least this share of the page's prose
_PROSE_BESIDE = 40  # words of prose beside a candidate main block that keep the walk above it ...
_BESIDE_SHARE = 0.1  # ... or this share of the prose, when more (banners beside a long policy)
_SCORED_SHARE = 0.5  # the best-scored element must hold this share of the prose to be the main block
_PARAGRAPH_WORDS = 8  # a run of prose of this many words or more is a paragraph
_INLINE = frozenset("a b i u em strong span font small big code abbr cite q sup sub mark s strike tt label".split())
_HINTED_WORDS = 120  # inside the policy, a hinted block with a heading or more words than this is policy
_HAS_HEADING = etree.XPath("boolean(.//h1|.//h2|.//h3|.//h4|.//h5|.//h6)")
_LAYOUT_CELL = etree.XPath(
    "boolean(./*[self::td or self::th][.//p or .//div or .//ul or .//ol or .//table or .//h1 or .//h2 or .//h3"
    " or count(.//br) > 1])"
)
_KEPT_INSIDE = frozenset(("li", "p", "ul", "ol", "dl", "dd", "dt", "table", "tbody", "tr", "td", "blockquote"))
_HAS_ITEM = etree.XPath("boolean(.//li|.//p|.//dd|.//tr)")
_CONTROLS = etree.XPath(
    "//button|//select|//textarea|//input[not(@type='hidden')]|//*[@role='button']"
)
_WIDGET_WORDS = 20  # words beside its controls up to which a block is an interface widget
_CONTAINERS = frozenset("div section article main body aside center".split())
_URL_TEXT = re.compile(r"@|://|\bwww\.|\.(?:com|org|net)\b", re.I)
_SPONSORED = etree.XPath("//a[contains(concat(' ', normalize-space(@rel), ' '), ' sponsored ')]")
LINK_DENSE = 0.5  # share of a block's words inside links above which, outside the policy, it is furniture


# The furniture signals, each of which can be turned off to measure what it does
# (bench/bench_versions.py --ablation); all on in use.
ALL_SIGNALS = frozenset(
    "position scoring link-density link-lists page-links controls hints hidden layout-tables copyright "
    "sponsored".split()
)
SIGNALS = ALL_SIGNALS
MAIN_SLOT = "main:"  # slots of the main block's own blocks start so; its loose text has slot ""


@dataclass
class Dropped:
    """A block left out of the policy text, and why."""

    reason: str
    text: str
    slot: str


@dataclass
class Walked:
    lines: list[str] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)  # per line: its region ("main:…" or "" in the main block)
    dropped: list[Dropped] = field(default_factory=list)


def _words(s: str | None) -> int:
    return len(s.split()) if s else 0


class _Sizes:
    """Words and link words of every element, measured once, bottom-up."""

    def __init__(self, root) -> None:
        self.of: dict = {}
        self.own: dict = {}  # words outside links in the element's own text (not its children's)
        self._measure(root, False)
        # words in interface controls below each element, and in links marked sponsored at or below it
        self.controls = self._gather(_CONTROLS(root), include_self=False)
        self.sponsored = self._gather(_SPONSORED(root), include_self=True)

    def _gather(self, found: list, include_self: bool) -> dict:
        out: dict = {}
        for el in found:
            words = self.words(el)
            up = el if include_self else el.getparent()
            while up is not None:
                out[up] = out.get(up, 0) + words
                up = up.getparent()
        return out

    def _measure(self, el, in_link: bool) -> tuple[int, int]:
        if not in_link and isinstance(el.tag, str) and el.tag.lower() == "a":
            in_link = not (el.get("href") or "").startswith(("mailto:", "tel:"))  # an address is policy text
        total = own = _words(el.text)
        links = own_links = 0
        for child in el:
            if isinstance(child.tag, str):
                t, child_links = self._measure(child, in_link)
                total += t
                links += child_links
                if child.tag.lower() in _INLINE:  # inline markup is part of the element's own run of text
                    own += t
                    own_links += child_links
            tail = _words(child.tail)
            total += tail
            own += tail
        links = total if in_link else links
        self.of[el] = (total, links)
        if not in_link and own > own_links:
            self.own[el] = own - own_links
        return total, links

    def words(self, el) -> int:
        return self.of.get(el, (0, 0))[0]

    def prose(self, el) -> int:
        t, links = self.of.get(el, (0, 0))
        return t - links

    def link_density(self, el) -> float:
        t, links = self.of.get(el, (0, 0))
        return links / t if t else 0.0


def main_block(scope, sizes: _Sizes):
    """The policy's main block under ``scope``: the deepest element holding most of its prose with no
    other prose beside it; where other prose stands beside the policy (testimonials, long banners,
    a column of news) and that stops the descent, the element the paragraphs score highest in, as
    readability's content scoring would pick it, when it holds at least half of the prose."""
    if "position" not in SIGNALS:
        return scope
    el = _descend(scope, sizes)
    best = _best_scored(el, sizes) if "scoring" in SIGNALS else None
    if best is not None and best is not el and sizes.prose(best) >= _SCORED_SHARE * sizes.prose(el):
        el = _descend(best, sizes)
    return el


def _descend(el, sizes: _Sizes):
    while True:
        prose = sizes.prose(el)
        children = [c for c in el if isinstance(c.tag, str)]
        best = max(children, key=sizes.prose, default=None)
        if best is None or prose == 0 or sizes.prose(best) < MAIN_SHARE * prose:
            return el
        beside = sum(sizes.prose(c) for c in children if c is not best and sizes.link_density(c) < LINK_DENSE)
        beside += _words(el.text) + sum(_words(c.tail) for c in children)
        if beside > max(_PROSE_BESIDE, _BESIDE_SHARE * prose):
            return el
        el = best


def _best_scored(el, sizes: _Sizes):
    """The element under ``el`` whose paragraphs (runs of prose of their own) score highest: each
    paragraph adds to its parent, half as much to its grandparent; link-dense elements lose."""
    scores: dict = {}
    for p in el.iter():
        own = sizes.own.get(p, 0)
        if own < _PARAGRAPH_WORDS or p is el:
            continue
        score = 1 + min(own / 25, 3)
        parent = p.getparent()
        for holder, share in ((parent, 1.0), (parent.getparent() if parent is not None else None, 0.5)):
            if holder is not None:
                scores[holder] = scores.get(holder, 0.0) + score * share
    if not scores:
        return None
    return max(scores, key=lambda e: scores[e] * (1 - sizes.link_density(e)))


def element_label(el) -> str:
    """An element's name in a slot path: tag, class and id words (hashes and counters left out)."""
    words = []
    for attr in ("id", "class"):
        value = el.get(attr)
        if value:
            words += sorted({w for w in value.split() if _meaningful(w)})[:3]
    return el.tag.lower() + ("." + ".".join(words) if words else "")


def _meaningful(word: str) -> bool:
    """A class or id word a person wrote ("sidebar", "entry-content"), not a hash a build made
    ("jsx-fgiqwu"): letters only, and no part of four letters or more made mostly of letter pairs
    that English words seldom hold (about 70% of random six-letter parts are caught)."""
    if not _MEANINGFUL.match(word) or _CONSONANTS.search(word):
        return False
    for part in re.split(r"[-_]+", word):
        pairs = [part[i : i + 2] for i in range(len(part) - 1)]
        if len(part) >= 4 and 2 * sum(p not in _COMMON_PAIRS for p in pairs) > len(pairs):
            return False
    return True


def hint(el) -> str | None:
    """The furniture word an element's class or id carries, if any."""
    for attr in ("class", "id"):
        value = el.get(attr)
        if value:
            for token in value.split():
                if any(ch.isdigit() for ch in token):  # a build hash or a counter
                    continue
                if token.lower() in _HINT_WORDS:
                    return token.lower()
                for word in _WORD.findall(token):
                    if word.lower() in _HINT_WORDS:
                        return word.lower()
    return None


def _all_links(el, sizes: _Sizes) -> bool:
    """A list of links: every item a link, but for separators ("›", "|") and a last item naming the
    current page (a breadcrumb)."""
    items = [c for c in el if isinstance(c.tag, str) and c.tag.lower() == "li"]
    links = [i for i in items if sizes.words(i) and sizes.link_density(i) >= 0.9]
    if len(links) < 2:
        return False
    others = [i for i in items if i not in links]
    return all(
        not _ALNUM.search("".join(i.itertext())) or (i is items[-1] and sizes.words(i) <= 6) for i in others
    )


def _text_items(el, sizes: _Sizes) -> bool:
    """Whether a list holds an item of words that are not a link."""
    return any(
        _ALNUM.search("".join(c.itertext())) and sizes.link_density(c) < 0.9
        for c in el
        if isinstance(c.tag, str) and c.tag.lower() == "li"
    )


def _layout_row(tr, chain: set) -> bool:
    """A table row that lays out the page rather than holding data: it holds the policy, or a cell
    holds blocks (paragraphs, lists, headings, tables) or several line breaks."""
    return tr in chain or bool(_LAYOUT_CELL(tr))


def _standalone(el) -> bool:
    """Whether an inline element stands apart from running text: nothing but white space, blocks and
    elements without text (icons, not line breaks) around it, and around each inline element that
    wraps it alone (so not the link in ``… a request <u><a href="#s13">here</a></u>.``)."""
    while True:
        prev, nxt, parent = el.getprevious(), el.getnext(), el.getparent()
        before = prev.tail if prev is not None else parent.text
        if (before or "").strip() or (el.tail or "").strip():
            return False
        if not all(x is None or _is_block(x) or _is_icon(x) for x in (prev, nxt)):
            return False
        if not isinstance(parent.tag, str) or parent.tag.lower() not in _INLINE:
            return True
        el = parent


def _page_action(a, sizes: _Sizes) -> bool:
    """A short link placed on its own between the blocks of a container (not in a paragraph, item or
    cell, where the policy's own links are): "Edit this page", "Print", "Next: Terms of Service"."""
    href = (a.get("href") or "").lower()
    text = "".join(a.itertext())
    if href.startswith(("mailto:", "tel:", "#")) or not 0 < sizes.words(a) <= 6 or _URL_TEXT.search(text):
        return False
    if not _standalone(a):
        return False
    holder = a.getparent()
    while isinstance(holder.tag, str) and holder.tag.lower() in _INLINE:
        holder = holder.getparent()
    return isinstance(holder.tag, str) and holder.tag.lower() in _CONTAINERS


def _is_icon(el) -> bool:
    return isinstance(el.tag, str) and el.tag.lower() != "br" and not "".join(el.itertext()).strip()


def _is_block(el) -> bool:
    return isinstance(el.tag, str) and (el.tag.lower() in BLOCK_TAGS or el.tag.lower() in _HEADINGS)


class _Walker:
    def __init__(self, sizes: _Sizes, main, chain: set, explain: bool) -> None:
        self.sizes, self.main, self.chain, self.explain = sizes, main, chain, explain
        self.out = Walked()
        self.buf: list[str] = []
        self.prefix = ""
        self.slot = ""
        self.lists: list[list] = []
        # the main block's children, by their place counted from the nearer end (stable when the
        # policy grows in the middle): blocks at its edges may be furniture (derive learns which)
        children = [c for c in main if isinstance(c.tag, str)]
        n = len(children)
        self.places = {c: (f"+{i}" if i <= n - 1 - i else f"-{n - 1 - i}") + f"/{n}" for i, c in enumerate(children)}

    def flush(self) -> None:
        if self.buf:
            line = " ".join("".join(self.buf).split())
            if line:
                self.out.lines.append(self.prefix + line)
                self.out.slots.append(self.slot)
            self.buf = []
        self.prefix = ""

    def furniture(self, el, tag: str, inside: bool) -> str | None:
        """Why ``el`` is page furniture, or None."""
        if el in self.chain:
            return None  # it holds the policy
        on = SIGNALS
        if "hidden" in on and (el.get("hidden") is not None or el.get("aria-hidden") == "true"):
            return "hidden"
        role = (el.get("role") or "").lower()
        if "controls" in on and role in _CONTROL_ROLES:
            return f"{_CONTROL_ROLES[role]} (role)"
        if "controls" in on and tag in _CONTROL_TAGS:
            return f"{_CONTROL_TAGS[tag]} (interface element)"
        word = hint(el) if "hints" in on else None
        # inside the policy a hint is weak evidence: a section may be called "cookies" or "sharing"
        if word and (
            not inside
            or (
                self.sizes.words(el) < _HINTED_WORDS
                and (not _HAS_HEADING(el) or self.sizes.link_density(el) >= LINK_DENSE)
            )
        ):
            return f"class or id says {word!r}"
        if "copyright" in on and tag in BLOCK_TAGS and self.sizes.words(el) <= 30:
            text = " ".join(" ".join(el.itertext()).split())
            if COPYRIGHT_LINE.match(text):  # also when line breaks split it ("© 2020 Example,<br>or its affiliates")
                return "copyright notice (its year changes every January)"
        if "sponsored" in on and (tag == "a" or tag in BLOCK_TAGS) and self.sizes.words(el) < 40:
            # rel="sponsored" is how a page marks paid links (an advertisement, wherever it is placed)
            paid = self.sizes.sponsored.get(el, 0)
            if paid and paid * 2 >= self.sizes.words(el):
                return "advertisement (its links are marked sponsored)"
        if "controls" in on and tag in BLOCK_TAGS and not (inside and tag in _KEPT_INSIDE):
            controls = self.sizes.controls.get(el)
            if controls is not None and self.sizes.words(el) - controls <= _WIDGET_WORDS:
                return "widget (a few words around buttons or form fields)"
        if "page-links" in on and tag == "a" and _page_action(el, self.sizes):
            return "link standing alone between blocks (a page action: edit, print, next page)"
        if "page-links" in on and tag == "a" and (el.get("href") or "").startswith("#"):
            if _standalone(el):
                return "link within the page (back to top, skip link)"
            if not _ALNUM.search("".join(el.itertext())):
                return "permalink mark (a symbol linking to its own heading)"
        if "link-lists" in on and tag in _LISTS and _all_links(el, self.sizes):
            if not inside:
                return "list whose items are all links"
            if all((a.get("href") or "").startswith("#") for a in el.iter("a")) and not _text_items(el, self.sizes):
                # inside the policy a list of links may be what it says (partners, browser settings);
                # an item of words in a table of contents is the policy's (its links are dropped one by one)
                return "table of contents (links within the page)"
        if "link-density" in on and tag in BLOCK_TAGS and self.sizes.words(el):
            density = self.sizes.link_density(el)
            if not inside and density >= LINK_DENSE:
                return f"link-dense block outside the policy text ({density:.0%} of its words are links)"
            if (
                inside
                and density >= 0.9
                and self.sizes.words(el) < 40
                and tag not in _KEPT_INSIDE
                and not _HAS_ITEM(el)
            ):
                # a flat strip of links (tabs); a paragraph or a list of links may be what the policy says
                return "links only (a tab strip or link box under the policy)"
        return None

    def walk(self, el, inside: bool) -> None:
        tag = el.tag
        if not isinstance(tag, str):  # comment or processing instruction
            if el.tail:
                self.buf.append(el.tail)
            return
        tag = tag.lower()
        inside = inside or el is self.main
        slot = self.slot
        if not inside and el not in self.chain and el.getparent() in self.chain:
            self.slot = _slot_path(el)  # a region beside the main block
        elif el in self.places:
            self.slot = f"{MAIN_SLOT}{element_label(el)}@{self.places[el]}"  # a block of the main block
        why = self.furniture(el, tag, inside)
        if why is not None:
            if self.explain:
                self.flush()
                text = " ".join(" ".join(el.itertext()).split())
                if text:
                    self.out.dropped.append(Dropped(why, text, self.slot or "main"))
            self.slot = slot
            if el.tail:
                self.buf.append(el.tail)
            return
        if tag == "br":
            self.flush()
        elif tag in _HEADINGS:
            self.flush()
            self.prefix = "#" * _HEADINGS[tag] + " "
            self.children(el, inside)
            self.flush()
        elif tag in _LISTS:
            self.flush()
            start = el.get("start", "1")
            self.lists.append([tag, int(start) if start.isdigit() else 1])
            self.children(el, inside)
            self.lists.pop()
            self.flush()
        elif tag == "li":
            self.flush()
            indent = "  " * max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0] == "ol":
                marker = f"{self.lists[-1][1]}. "
                self.lists[-1][1] += 1
            else:
                marker = "- "
            self.prefix = indent + marker  # a nested list flushes the item's own text with it
            self.children(el, inside)
            self.flush()
        elif tag == "tr" and "layout-tables" in SIGNALS and _layout_row(el, self.chain):
            self.flush()  # a row that lays out the page: its cells are blocks of their own
            for cell in el:
                self.walk(cell, inside)
                self.flush()
        elif tag == "tr":
            self.flush()
            cells = [
                " ".join("".join(c.itertext()).split())
                for c in el
                if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")
            ]
            if any(cells):
                self.out.lines.append(" | ".join(cells))
                self.out.slots.append(self.slot)
        elif tag in BLOCK_TAGS:
            self.flush()
            self.children(el, inside)
            self.flush()
        else:
            self.children(el, inside)
        self.slot = slot
        if el.tail:
            self.buf.append(el.tail)

    def children(self, el, inside: bool) -> None:
        if el.text:
            self.buf.append(el.text)
        for child in el:
            self.walk(child, inside)


def _slot_path(el) -> str:
    labels = []
    while el is not None:
        labels.append(element_label(el))
        el = el.getparent()
    return "/".join(reversed(labels))


def walk(scopes: list, root, *, explain: bool = False) -> Walked:
    """Lines of the policy in ``scopes`` (the elements to read, in order), with their slots, and
    (``explain``) the blocks left out with why."""
    sizes = _Sizes(root)
    walked = Walked()
    for scope in scopes:
        main = main_block(scope, sizes)
        chain = set(main.iterancestors()) | {main}
        walker = _Walker(sizes, main, chain, explain)
        walker.walk(scope, scope is main)
        walker.flush()
        walked.lines += walker.out.lines
        walked.slots += walker.out.slots
        walked.dropped += walker.out.dropped
    return walked


def strip_invisible(root) -> None:
    etree.strip_elements(root, *INVISIBLE_TAGS, with_tail=False)
