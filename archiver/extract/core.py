"""extract(): parse the page, run trafilatura on it, and assemble metadata, main text and body links."""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from datetime import datetime, timezone

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.xml import xmltotxt

from archiver.extract.charset import decode_html
from archiver.extract.dates_in_text import date_in_text
from archiver.extract.links import body_links
from archiver.extract.meta import canonical_url, document_base, page_metadata
from archiver.extract.normalize import normalized_or, squash
from archiver.models import Extracted

# The package's name, not this module's: log lines keep the "archiver.extract" they had before the split.
log = logging.getLogger(__package__)

MAX_HTML_BYTES = 5_000_000  # the fetcher's default extraction cap; a bigger page is cut, never refused
# trafilatura's time grows with the element count (a 600k-element page takes ~50 s); real articles,
# even long Wikipedia ones, stay well under this. Above it the page gets metadata but no text or links.
MAX_ELEMENTS = 100_000
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BINARY_CHARS = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\ufffd]")
_WHITESPACE = re.compile(r"\s+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


def extract(html: bytes | str, url: str, *, content_type_charset: str | None = None,
            search_text_for_date: bool = True, captured_at: datetime | None = None) -> Extracted:
    """Extract the canonical content of `html`, fetched (finally) from `url`. Never raises on bad input.

    `search_text_for_date`: also look for the publication date in the page's free text when its
    markup names none (a bounded scan, see dates_in_text.py); only an article's date is used
    (public-archive look-ups), so reference checks turn it off. `captured_at` (default now): no
    date after it is plausible.
    """
    latest = (captured_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    if isinstance(html, (bytes, bytearray)):
        text = decode_html(html[:MAX_HTML_BYTES], content_type_charset)
    else:
        text = html[:MAX_HTML_BYTES]
    page_url = normalized_or(url, url)
    dom = None if _looks_binary(text) else parse_html(text)
    if dom is None:
        return Extracted(page_url, None, None, None, None, "")
    base = document_base(dom, url)
    too_big = sum(1 for _ in dom.iter()) > MAX_ELEMENTS
    if too_big:
        log.warning("%s: more than %d elements; extracting metadata only", url, MAX_ELEMENTS)
    document = None if too_big else _run_trafilatura(dom, url)
    body = getattr(document, "body", None)
    canonical = canonical_url(dom, base) or page_url
    meta = page_metadata(dom, document, url, latest)
    published, raw = meta.dates.published, meta.dates.published_raw
    if published is None and search_text_for_date and not too_big:
        published, raw = date_in_text(dom, url, latest)
    links = body_links(dom, body, base, canonical, {page_url, canonical})
    return Extracted(canonical, meta.title, meta.byline, published, meta.language, _main_text(body), links,
                     clean_title=meta.clean_title, published_raw=raw, modified=meta.dates.modified)


def _looks_binary(text: str) -> bool:
    """Control characters or undecodable bytes in more than 5% of the head: an image, a PDF, not HTML."""
    sample = text[:65536]
    return len(_BINARY_CHARS.findall(sample)) > 0.05 * len(sample)


def parse_html(text: str) -> lxml.html.HtmlElement | None:
    """The DOM of `text`, comments dropped; None for a blank or unparseable document."""
    text = _NOT_XML_CHARS.sub("", _XML_DECLARATION.sub("", text, count=1))  # lxml refuses both
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text, parser=lxml.html.HTMLParser(remove_comments=True))
    except (etree.ParserError, ValueError):
        return None


def _run_trafilatura(dom: lxml.html.HtmlElement, url: str):
    # Its metadata off: meta.py and dates.py read the markup (a fifth of trafilatura's time went to its own
    # metadata and date search), and the free-text date scan is ours, bounded (dates_in_text.py).
    try:
        # A copy: trafilatura prunes the tree it is given, and we still need ours whole.
        return trafilatura.bare_extraction(
            deepcopy(dom), url=url, include_links=True, include_comments=False,
            include_tables=True, with_metadata=False, deduplicate=False,
        )
    except Exception:  # hostile markup must not take a whole cycle down; the page just has no text
        log.warning("trafilatura failed on %s", url, exc_info=True)
        return None


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
    lines = (squash(line) for line in xmltotxt(body, include_formatting=False).splitlines())
    return "\n\n".join(line for line in lines if line)
