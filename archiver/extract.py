"""HTML -> Extracted: canonical URL, title, byline, date, language, main text and the links in the body.

trafilatura decides what the article is (its main-text quality is the bar we
must meet); the original DOM supplies the links. A link counts as a reference
when the block of text around it (its <p>, <li>, <td> ...) is one trafilatura
kept, or trafilatura kept that very link, and it sits in no navigation, share,
related-articles, comments or ad container. Reading hrefs from the DOM rather
than from trafilatura's output keeps them as written (so <base href> and
fragment links resolve correctly), keeps anchor text and document order, and
catches links trafilatura kept the text of but dropped the <ref> for.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from copy import deepcopy
from urllib.parse import urljoin

import charset_normalizer
import lxml.html
import trafilatura
from lxml import etree
from trafilatura.xml import xmltotxt

from archiver.models import Extracted, Link
from archiver.urls import is_supported, normalize_url

log = logging.getLogger(__name__)

MAX_HTML_BYTES = 5_000_000  # the fetcher's default extraction cap; a bigger page is cut, never refused
# trafilatura's time grows with the element count (a 600k-element page takes ~50 s); real articles,
# even long Wikipedia ones, stay well under this. Above it the page gets metadata but no text or links.
MAX_ELEMENTS = 100_000
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BINARY_CHARS = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\ufffd]")
_WHITESPACE = re.compile(r"\s+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_DROPPED_SCHEMES = ("javascript:", "data:", "about:", "blob:", "vbscript:")  # behaviour, not references

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


def extract(html: bytes | str, url: str, *, content_type_charset: str | None = None) -> Extracted:
    """Extract the canonical content of `html`, fetched (finally) from `url`. Never raises on bad input."""
    if isinstance(html, (bytes, bytearray)):
        text = decode_html(html[:MAX_HTML_BYTES], content_type_charset)
    else:
        text = html[:MAX_HTML_BYTES]
    page_url = _normalized_or(url, url)
    dom = None if _looks_binary(text) else _parse(text)
    if dom is None:
        return Extracted(page_url, None, None, None, None, "")
    base = document_base(dom, url)
    too_big = sum(1 for _ in dom.iter()) > MAX_ELEMENTS
    if too_big:
        log.warning("%s: more than %d elements; extracting metadata only", url, MAX_ELEMENTS)
    document = None if too_big else _run_trafilatura(dom, url)
    body = getattr(document, "body", None)
    canonical = canonical_url(dom, base) or page_url
    title, byline, published, language = page_metadata(dom, document)
    links = _body_links(dom, body, base, {page_url, canonical})
    return Extracted(canonical, title, byline, published, language, _main_text(body), links)


def _normalized_or(url: str, fallback: str, base: str | None = None) -> str:
    try:
        return normalize_url(url, base)
    except ValueError:
        return fallback


def _squash(text: str) -> str:
    return " ".join(text.split())


def _first(*candidates: str | None) -> str | None:
    return next((_squash(c) for c in candidates if c and c.strip()), None)


# --- decoding -----------------------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
# Browsers read these labels as windows-1252 (WHATWG Encoding); so must we, or curly quotes turn to C1 junk.
_WINDOWS_1252_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii", "us-ascii", "cp819"}


def _codec(label: str | None) -> str | None:
    """Python codec for an HTTP/HTML charset label, or None when the label is unknown or not a text codec."""
    label = (label or "").strip().strip("\"'").lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None  # not rot13 or base64


def decode_html(data: bytes, content_type_charset: str | None = None) -> str:
    """Bytes to text: BOM, then HTTP charset, then <meta> charset, then UTF-8, then detection. Never raises.

    A declared charset that turns more than 1% of the text into U+FFFD is a lie (old Cyrillic sites
    served as UTF-8 are common); then the next signal is tried, and detection has the last word.
    """
    data = bytes(data)
    for bom, name in _BOMS:  # a BOM beats every label, as in browsers (WHATWG "decode")
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace")
    meta = _META_CHARSET.search(data[:8192])
    meta_codec = _codec(meta.group(1).decode("ascii")) if meta else None
    if meta_codec and meta_codec.startswith("utf-16"):
        meta_codec = "utf-8"  # a <meta> read as ASCII cannot honestly declare UTF-16
    for codec in (_codec(content_type_charset), meta_codec, "utf-8"):
        if codec:
            text = data.decode(codec, errors="replace")
            if text.count("\ufffd") <= 3 + len(text) // 100:
                return text
    guess = charset_normalizer.from_bytes(data[:200_000]).best()
    return data.decode(_codec(guess.encoding if guess else None) or "cp1252", errors="replace")


# --- metadata ------------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?")
_TITLE_KEYS = ("og:title", "twitter:title")
_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")
_DATE_KEYS = ("article:published_time", "datepublished", "publishdate", "publish-date", "pubdate",
              "parsely-pub-date", "sailthru.date", "dc.date.issued", "dc.date", "date")


def document_base(dom, url: str) -> str:
    """The URL relative links resolve against: <base href> (itself relative to the page) or the page URL."""
    for base in dom.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            return _normalized_or(href, url, url)
    return url


def _meta_values(dom) -> dict[str, str]:
    values: dict[str, str] = {}
    for meta in dom.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv") or ""
        content = _squash(meta.get("content") or "")
        if key.strip() and content:
            values.setdefault(key.strip().lower(), content)
    return values


def canonical_url(dom, base: str) -> str | None:
    """rel=canonical, else og:url, absolutised and normalised; values that are not http(s) are ignored."""
    hrefs = [link.get("href") for link in dom.iter("link") if "canonical" in (link.get("rel") or "").lower().split()]
    hrefs += [_meta_values(dom).get("og:url")]
    for href in hrefs:
        url = _normalized_or((href or "").strip(), "", base) if href else ""
        if url and is_supported(url):
            return url
    return None


def _json_ld_date(dom) -> str | None:
    for script in dom.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            pending = [json.loads(script.text or "", strict=False)]
        except ValueError:
            continue
        while pending:  # breadth first: the page's own object comes before nested ones
            node = pending.pop(0)
            if isinstance(node, dict):
                if isinstance(node.get("datePublished"), str):
                    return node["datePublished"]
                pending.extend(node.values())
            elif isinstance(node, list):
                pending.extend(node)
    return None


def _time_date(dom) -> str | None:
    """A <time datetime> marked as the publication date, else the first inside <article> or <main>."""
    times = [t for t in dom.iter("time") if _ISO_DATE.match(t.get("datetime") or "")]
    marked = [t for t in times if t.get("itemprop") == "datePublished" or t.get("pubdate") is not None]
    in_article = [t for t in times if any(a.tag in ("article", "main") for a in t.iterancestors())]
    chosen = (marked or in_article or [None])[0]
    return chosen.get("datetime").strip() if chosen is not None else None


def page_metadata(dom, document) -> tuple[str | None, str | None, str | None, str | None]:
    """(title, byline, published, language), each from the most explicit signal the page gives."""
    meta = _meta_values(dom)
    titles = [el.text_content() for el in dom.iter("title")] + [el.text_content() for el in dom.iter("h1")]
    title = _first(*(meta.get(key) for key in _TITLE_KEYS), *titles, getattr(document, "title", None))
    author_links = [a.text_content() for a in dom.iter("a") if "author" in (a.get("rel") or "").lower().split()]
    authors = [meta.get(key) for key in _AUTHOR_KEYS if not (meta.get(key) or "").startswith("http")]
    byline = _first(*authors, *author_links, getattr(document, "author", None))
    # Generic <time> elements come after JSON-LD: headers often carry today's date in one.
    dates = [meta.get(key) for key in _DATE_KEYS]
    dates += [_json_ld_date(dom), _time_date(dom), getattr(document, "date", None)]
    published = _first(*(date for date in dates if _ISO_DATE.match((date or "").strip())))
    locale = (meta.get("og:locale") or "").replace("_", "-")
    language = _first(dom.get("lang"), meta.get("content-language"), locale, getattr(document, "language", None))
    return title, byline, published, language


# --- parsing -------------------------------------------------------------------------------------------


def _looks_binary(text: str) -> bool:
    """Control characters or undecodable bytes in more than 5% of the head: an image, a PDF, not HTML."""
    sample = text[:65536]
    return len(_BINARY_CHARS.findall(sample)) > 0.05 * len(sample)


def _parse(text: str) -> lxml.html.HtmlElement | None:
    text = _NOT_XML_CHARS.sub("", _XML_DECLARATION.sub("", text, count=1))  # lxml refuses both
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text, parser=lxml.html.HTMLParser(remove_comments=True))
    except (etree.ParserError, ValueError):
        return None


def _run_trafilatura(dom: lxml.html.HtmlElement, url: str):
    try:
        # A copy: trafilatura prunes the tree it is given, and we still need ours whole.
        return trafilatura.bare_extraction(
            deepcopy(dom), url=url, include_links=True, include_comments=False,
            include_tables=True, with_metadata=True, deduplicate=False,
        )
    except Exception:  # hostile markup must not take a whole cycle down; the page just has no text
        log.warning("trafilatura failed on %s", url, exc_info=True)
        return None


# --- main text and body links ---------------------------------------------------------------------------


def _main_text(body: etree._Element | None) -> str:
    """trafilatura's plain text with one blank line between blocks."""
    if body is None:
        return ""
    body = deepcopy(body)
    for element in body.iter():
        if element.tag == "ref":  # otherwise links come out as [text](target); strip_tags is quadratic
            element.tag = "hi"
            element.attrib.pop("target", None)
        # Line breaks inside a source text node are layout, not paragraph breaks; xmltotxt keeps them.
        element.text = _WHITESPACE.sub(" ", element.text) if element.text else element.text
        element.tail = _WHITESPACE.sub(" ", element.tail) if element.tail else element.tail
    lines = (_squash(line) for line in xmltotxt(body, include_formatting=False).splitlines())
    return "\n\n".join(line for line in lines if line)


class _MainContent:
    """What trafilatura kept: its blocks of text, and its links as (anchor text, URL) pairs."""

    def __init__(self, body: etree._Element | None, base: str):
        self.base = base
        self.blocks: set[str] = set()
        self.ref_targets: dict[str, list[str]] = {}  # anchor text -> targets as trafilatura wrote them
        if body is not None:
            for element in body.iter("p", "head", "item", "quote", "cell", "code", "ref"):
                text = _squash("".join(element.itertext()))
                if element.tag == "ref":
                    self.ref_targets.setdefault(text, []).append(element.get("target") or "")
                elif text:
                    self.blocks.add(text)
        self.joined = "\n".join(self.blocks)
        self._trigrams: set[tuple[str, ...]] | None = None

    def kept_link(self, text: str, url: str) -> bool:
        return any(_normalized_or(target, "", self.base) == url for target in self.ref_targets.get(text, ()))

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
    text = _squash(anchor.text_content())
    if text:
        return text
    image_alt = next((img.get("alt") for img in anchor.iter("img") if (img.get("alt") or "").strip()), "")
    return _squash(image_alt or anchor.get("aria-label") or anchor.get("title") or "")


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
            self.block_held[block] = self.main.holds(_squash(block.text_content()))
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
        return len(_squash(element.text_content())) >= 0.5 * len(self.main.joined) > 0


def _body_links(dom, body, base: str, self_urls: set[str]) -> tuple[Link, ...]:
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
        url = _normalized_or(href, "", base) or _joined(base, href.split("#", 1)[0])
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
