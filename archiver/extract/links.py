"""The links in an article's body, read from the original DOM and kept when trafilatura kept their text.

trafilatura decides what the article is (its main-text quality is the bar we must meet); the original
DOM supplies the links. A link counts as a reference when the block of text around it (its <p>, <li>,
<td> ...) is one trafilatura kept, or it sits in the article's container where trafilatura lost it
(captions, lists of sources, image links with alt text), or in an embedded post, and it sits in no
navigation, share, related-articles, comments or ad container and breaks none of link_rules.py's rules
(tuned on the labelled corpus, tests/extract/corpus/). Reading hrefs from the DOM rather than from
trafilatura's output keeps them as written (so <base href> and fragment links resolve correctly), keeps
anchor text and document order, and catches links trafilatura kept the text of but dropped the <ref> for.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree

from archiver.extract.link_rules import (
    anchor_text,
    follows_related_lead,
    is_bio_link,
    is_pointer_line,
    is_pointer_text,
    never_a_reference,
    server_of,
    without_tracking,
)
from archiver.extract.normalize import normalized_or, squash
from archiver.models import Link
from archiver.urls import is_supported

# Dropped: a data: link carries its content inline (megabytes, sometimes); about: and blob: name things
# inside the reader's browser. javascript: (and vbscript:) links are kept, as unsupported: readers without scripts,
# and every archive, find nothing behind them, which is worth a line in the report.
_DROPPED_SCHEMES = ("data:", "about:", "blob:")
_HREF_NOISE = str.maketrans("", "", "\t\n\r")  # browsers drop these from an href

_BLOCK_TAGS = frozenset(
    "p li dd dt td th h1 h2 h3 h4 h5 h6 blockquote pre figcaption caption div section article main body".split()
)
_BOILERPLATE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "button", "noscript", "template"})
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog"})
_BOILERPLATE_TOKEN = re.compile(
    r"(?:^|[-_])(?:nav|navbar|navigation|menu|breadcrumbs?|share|sharing|sharedaddy|social|related|relatedposts|"
    r"recommended|"
    r"more-stories|read-?more|read-?next|up-?next|more-?from|most-read|trending|popular|comments?|cookies?|"
    r"consent|banner|ads?|advert|advertisement|sponsored|promo|newsletters?|subscribe|signup|footer|sidebar|"
    r"widget|tags?|topics?|byline|author-bio|author|authors|bio|reviewed-?by|contributors?|follow|outbrain|"
    r"taboola|recirc|license|pagination|pager)(?:$|[-_])"
)
# Class names that describe state ("has-sidebar", "comments-open"), not what an element is.
_STATE_TOKEN = re.compile(r"^(?:has|no|is|with|show|hide)[-_]|[-_](?:open|closed|enabled|disabled|count)$")
MIN_ARTICLE_CHARS = 400  # kept paragraph text below which no article container is trusted
_SKIPPED_RELS = frozenset({"author", "tag", "category", "license"})
# Embedded posts quote their source: their links are citations even where trafilatura dropped the embed.
_EMBED_CLASSES = re.compile(r"twitter-tweet|instagram-media|tiktok-embed|bluesky-embed|mastodon-embed|fb-post")


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


class _LinkFilter:
    """Decides, with memos, whether an <a> sits in main content and outside every boilerplate container."""

    def __init__(self, main: _MainContent):
        self.main = main
        self.held: dict[etree._Element, bool] = {}
        self.density: dict[etree._Element, float] = {}  # share of a block's text that is link text
        self.excluded: dict[etree._Element, bool] = {}

    def block_held(self, anchor: etree._Element) -> tuple[etree._Element | None, bool]:
        """The block the link sits in, and whether trafilatura kept that block's text."""
        block = next((el for el in anchor.iterancestors() if el.tag in _BLOCK_TAGS), None)
        if block is None:
            return None, False
        if block not in self.held:
            self.held[block] = self.main.holds(squash(block.text_content()))
        return block, self.held[block]

    def lost_in_article(self, anchor, block, container, other_site: bool) -> bool:
        """A link of the article that trafilatura's text lost: in the article container, in a paragraph or
        a caption, an image with alt text, a block that is more than its links, or a link to another site
        (a list of this site's headlines is a related block; a list of sources is not)."""
        if container is None or not any(element is container for element in anchor.iterancestors()):
            return False
        if block is None or block.tag in ("p", "figcaption", "caption") or anchor.find(".//img") is not None:
            return True  # a paragraph of the article, however short ("Artist: <a>3ihard</a>" under a picture)
        return self._density(block) < 0.7 or other_site

    def not_a_citation(self, block, text: str, url: str, other_site: bool) -> bool:
        """Pointer lines ("Related: <a>...</a>", "Lire aussi : ..."), "Read more" links, lists after a
        "More ...:" line, bio lines' social profiles, and blocks (other than paragraphs) that are nothing but
        a link to this site: another article's headline, or navigation."""
        block_text = squash(block.text_content())
        if is_pointer_line(block_text, text) or is_pointer_text(text) or is_bio_link(url, block_text):
            return True
        if follows_related_lead(block):
            return True
        if other_site or block.tag == "p":
            return False
        heading = block.tag in ("h2", "h3", "h4", "h5", "h6")  # "Ikea challenge <a>Good for some...</a>"
        return self._density(block) >= (0.6 if heading else 0.9)

    def _density(self, block) -> float:
        if block not in self.density:
            text = len(squash(block.text_content()))
            linked = sum(len(squash(a.text_content())) for a in block.iter("a"))
            self.density[block] = linked / text if text else 1.0
        return self.density[block]

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


def article_container(dom, main: _MainContent) -> etree._Element | None:
    """The deepest element holding 80% of the paragraphs' text trafilatura kept: the article itself.

    Links in it that trafilatura's text lost (image captions, lists, tables, embedded posts) are
    references too, unless they sit in a boilerplate container.
    """
    weights: dict[etree._Element, int] = {}
    total = 0
    for paragraph in dom.iter("p", "li", "dd", "blockquote"):
        text = squash(paragraph.text_content())
        if len(text) < 40 or not main.holds(text):
            continue
        total += len(text)
        for ancestor in paragraph.iterancestors():
            weights[ancestor] = weights.get(ancestor, 0) + len(text)
    holding = [element for element, weight in weights.items() if weight >= 0.8 * total > 0]
    container = max(holding, key=lambda element: sum(1 for _ in element.iterancestors()), default=None)
    if container is None or total < MIN_ARTICLE_CHARS or len(squash(container.text_content())) > 3 * total:
        return None  # too little text to be an article, or lost in a page-wide layout: no container to trust
    return container


def body_links(dom, body, base: str, page_url: str, self_urls: set[str]) -> tuple[Link, ...]:
    """The references in the page body, in document order, each URL once; `self_urls` are never references.

    `body` is trafilatura's output tree (None when it found no text); `dom` is the original page;
    `page_url` its canonical URL.
    """
    main = _MainContent(body, base)
    where = _LinkFilter(main)
    container = article_container(dom, main) if body is not None else None
    links: list[Link] = []
    page_server = server_of(page_url)
    seen = {without_tracking(url) for url in self_urls}  # a link to the page itself is not a reference
    for anchor in dom.iter("a"):
        href = (anchor.get("href") or "").translate(_HREF_NOISE).strip()
        if not href or href.lower().startswith(_DROPPED_SCHEMES):
            continue
        if _SKIPPED_RELS & set((anchor.get("rel") or "").lower().split()) or _is_boilerplate(anchor):
            continue
        embedded = any(_EMBED_CLASSES.search(quote.get("class") or "") for quote in anchor.iterancestors("blockquote"))
        if not embedded and where.in_boilerplate(anchor.getparent()):
            continue
        text = anchor_text(anchor)
        if not text:  # an image link with no alt text: nothing to cite it by
            continue
        # A malformed href is kept as written (less its fragment): the checker reports it as invalid_url.
        url = normalized_or(href, "", base) or _joined(base, href.split("#", 1)[0])
        block, held = where.block_held(anchor)
        other_site = server_of(url) != page_server
        if not (held or embedded or where.lost_in_article(anchor, block, container, other_site)
                or (container is not None and main.kept_link(text, url))):
            continue
        if block is not None and where.not_a_citation(block, text, url, other_site):
            continue
        if without_tracking(url) in seen or never_a_reference(url, page_url):
            continue
        seen.add(without_tracking(url))
        links.append(Link(url=url, text=text, position=len(links), supported=is_supported(url)))
    return tuple(links)


def _joined(base: str, href: str) -> str:
    try:
        return urljoin(base, href)
    except ValueError:
        return href
