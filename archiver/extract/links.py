"""The links in an article's body, read from the original DOM and kept when trafilatura kept their text.

trafilatura decides what the article is (its main-text quality is the bar we must meet); the original
DOM supplies the links. A link counts as a reference when the block of text around it (its <p>, <li>,
<td> ...) is one trafilatura kept, or trafilatura kept that very link, and it sits in no navigation,
share, related-articles, comments or ad container. Reading hrefs from the DOM rather than from
trafilatura's output keeps them as written (so <base href> and fragment links resolve correctly), keeps
anchor text and document order, and catches links trafilatura kept the text of but dropped the <ref> for.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from archiver.extract.normalize import normalized_or, squash
from archiver.models import Link
from archiver.urls import is_supported

# Dropped: a data: link carries its content inline (megabytes, sometimes); about: and blob: name things
# inside the reader's browser. javascript: (and vbscript:) links are kept, as unsupported: readers without scripts,
# and every archive, find nothing behind them, which is worth a line in the report.
_DROPPED_SCHEMES = ("data:", "about:", "blob:")

_BLOCK_TAGS = frozenset(
    "p li dd dt td th h1 h2 h3 h4 h5 h6 blockquote pre figcaption caption div section article main body".split()
)
_BOILERPLATE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "button", "noscript", "template"})
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog"})
_BOILERPLATE_TOKEN = re.compile(
    r"(?:^|[-_])(?:nav|navbar|menu|breadcrumbs?|share|sharing|sharedaddy|social|related|recommended|"
    r"more-stories|read-?more|most-read|trending|popular|comments?|cookies?|consent|banner|ads?|advert|"
    r"advertisement|sponsored|promo|newsletter|subscribe|signup|footer|sidebar|widget|tags?|byline|"
    r"author-bio|pagination|pager)(?:$|[-_])"
)
# Class names that describe state ("has-sidebar", "comments-open"), not what an element is.
_STATE_TOKEN = re.compile(r"^(?:has|no|is|with|show|hide)[-_]|[-_](?:open|closed|enabled|disabled|count)$")
_SKIPPED_RELS = frozenset({"author", "tag", "category"})


class _MainContent:
    """What trafilatura kept: its blocks of text, and its links as (anchor text, URL) pairs."""

    def __init__(self, body: etree._Element | None, base: str):
        self.base = base
        self.blocks: set[str] = set()
        self.ref_targets: dict[str, list[str]] = {}  # anchor text -> targets as trafilatura wrote them
        if body is not None:
            for element in body.iter("p", "head", "item", "quote", "cell", "code", "ref"):
                text = squash("".join(element.itertext()))
                if element.tag == "ref":
                    self.ref_targets.setdefault(text, []).append(element.get("target") or "")
                elif text:
                    self.blocks.add(text)
        self.joined = "\n".join(self.blocks)
        self._trigrams: set[tuple[str, ...]] | None = None

    def kept_link(self, text: str, url: str) -> bool:
        return any(normalized_or(target, "", self.base) == url for target in self.ref_targets.get(text, ()))

    def holds(self, block_text: str) -> bool:
        if not block_text or not self.blocks:
            return False
        if block_text in self.blocks or (len(block_text) >= 40 and block_text in self.joined):
            return True
        grams = _trigrams(block_text)  # near match: an inline ad or a <sup> trafilatura dropped
        if len(grams) < 5:
            return False
        if self._trigrams is None:
            self._trigrams = {gram for block in self.blocks for gram in _trigrams(block)}
        return sum(gram in self._trigrams for gram in grams) >= 0.8 * len(grams)


def _trigrams(text: str) -> list[tuple[str, ...]]:
    words = text.lower().split()
    return [tuple(words[i : i + 3]) for i in range(len(words) - 2)]


def _is_boilerplate(element: etree._Element) -> bool:
    if element.tag in _BOILERPLATE_TAGS:
        return True
    if (element.get("role") or "").lower() in _BOILERPLATE_ROLES or element.get("aria-hidden") == "true":
        return True
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower().split()
    return any(_BOILERPLATE_TOKEN.search(name) and not _STATE_TOKEN.search(name) for name in names)


def _anchor_text(anchor: lxml.html.HtmlElement) -> str:
    text = squash(anchor.text_content())
    if text:
        return text
    image_alt = next((img.get("alt") for img in anchor.iter("img") if (img.get("alt") or "").strip()), "")
    return squash(image_alt or anchor.get("aria-label") or anchor.get("title") or "")


class _LinkFilter:
    """Decides, with memos, whether an <a> sits in main content and outside every boilerplate container."""

    def __init__(self, main: _MainContent):
        self.main = main
        self.block_held: dict[etree._Element, bool] = {}
        self.excluded: dict[etree._Element, bool] = {}

    def in_main_block(self, anchor: etree._Element) -> bool:
        block = next((el for el in anchor.iterancestors() if el.tag in _BLOCK_TAGS), None)
        if block is None:
            return False
        if block not in self.block_held:
            self.block_held[block] = self.main.holds(squash(block.text_content()))
        return self.block_held[block]

    def in_boilerplate(self, element: etree._Element | None) -> bool:
        """True when `element` or an ancestor below <body> is navigation, sharing, ads, comments ..."""
        path: list[etree._Element] = []
        verdict = False
        while element is not None and element.tag not in ("body", "html"):
            if element in self.excluded:
                verdict = self.excluded[element]
                break
            path.append(element)
            element = element.getparent()
        for node in reversed(path):  # top down, so each node's verdict includes its ancestors'
            verdict = verdict or (_is_boilerplate(node) and not self._wraps_main(node))
            self.excluded[node] = verdict
        return verdict

    def _wraps_main(self, element: etree._Element) -> bool:
        # An ASP.NET <form> around the whole page, or <div class="content social-ready">, is no widget.
        return len(squash(element.text_content())) >= 0.5 * len(self.main.joined) > 0


def body_links(dom, body, base: str, self_urls: set[str]) -> tuple[Link, ...]:
    """The references in the page body, in document order, each URL once; `self_urls` are never references.

    `body` is trafilatura's output tree (None when it found no text); `dom` is the original page.
    """
    main = _MainContent(body, base)
    where = _LinkFilter(main)
    links: list[Link] = []
    seen = set(self_urls)  # a link to the page itself is not a reference
    for anchor in dom.iter("a"):
        href = "".join(char for char in anchor.get("href") or "" if char not in "\t\n\r").strip()
        if not href or href.lower().startswith(_DROPPED_SCHEMES):
            continue
        if _SKIPPED_RELS & set((anchor.get("rel") or "").lower().split()) or _is_boilerplate(anchor):
            continue
        if where.in_boilerplate(anchor.getparent()):
            continue
        held, text = where.in_main_block(anchor), _anchor_text(anchor)
        if not held and text not in main.ref_targets:
            continue
        # A malformed href is kept as written (less its fragment): the checker reports it as invalid_url.
        url = normalized_or(href, "", base) or _joined(base, href.split("#", 1)[0])
        if url in seen or not (held or main.kept_link(text, url)):
            continue
        seen.add(url)
        links.append(Link(url=url, text=text, position=len(links), supported=is_supported(url)))
    return tuple(links)


def _joined(base: str, href: str) -> str:
    try:
        return urljoin(base, href)
    except ValueError:
        return href
