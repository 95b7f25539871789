"""Page requisites: what a page needs to look like itself, read from its HTML and from its stylesheets.

The kinds are those a reader's browser fetches without a click: stylesheets (<link rel=stylesheet>,
@import), images (img src and srcset, <picture><source srcset>, the lazy-loading data-src/data-srcset
a script swaps in, CSS url() in stylesheets, <style> and style attributes), icons, web fonts (@font-face
url()), scripts, video posters and iframes (one level: the pipeline reads an iframe's own requisites but
no iframe inside it). Every srcset candidate is kept: replay serves whichever one the reader's screen picks.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from archiver.models import Requisite, RequisiteKind

# url(...) and @import in CSS: quoted or bare, escapes left as written (rare in real stylesheets).
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s'"]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?(?:"([^"]*)"|'([^']*)'|([^\s;'")]+))""", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}", re.IGNORECASE | re.DOTALL)
_FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".otf", ".eot")
_ICON_RELS = frozenset({"icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"})
_SKIPPED_SCHEMES = ("data:", "about:", "blob:", "javascript:", "mailto:", "#")
MAX_CSS_CHARS = 2_000_000  # a stylesheet is read this far for url() and @import


def html_requisites(html: str, base_url: str) -> list[Requisite]:
    """The requisites an HTML page names, in document order, each URL once (its first kind)."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = _base_href(root, base_url)
    found: list[Requisite] = []
    for element in root.iter(etree.Element):
        tag = element.tag if isinstance(element.tag, str) else ""
        found += _element_requisites(element, tag.lower(), base)
        style = element.get("style")
        if style:
            found += css_requisites(style, base, inline=True)
    return _first_of_each(found)


def css_requisites(css: str, base_url: str, *, inline: bool = False) -> list[Requisite]:
    """@import (stylesheets) and url() (fonts inside @font-face or by suffix, images otherwise) of a stylesheet."""
    css = _CSS_COMMENT.sub(" ", css[:MAX_CSS_CHARS])
    found = [Requisite(url, RequisiteKind.STYLESHEET) for url in _urls(_CSS_IMPORT, css, base_url)]
    imported = {item.url for item in found}
    font_urls = {url for block in _FONT_FACE.findall(css) for url in _urls(_CSS_URL, block, base_url)}
    for url in _urls(_CSS_URL, css, base_url):
        if url in imported:
            continue
        is_font = url in font_urls or url.split("?")[0].lower().endswith(_FONT_SUFFIXES)
        found.append(Requisite(url, RequisiteKind.FONT if is_font else RequisiteKind.IMAGE))
    return _first_of_each(found) if not inline else found


def _element_requisites(element, tag: str, base: str) -> list[Requisite]:
    kind = RequisiteKind
    if tag == "link":
        rels = set((element.get("rel") or "").lower().split())
        if "stylesheet" in rels:
            return _named(base, element.get("href"), kind.STYLESHEET)
        if rels & _ICON_RELS:
            return _named(base, element.get("href"), kind.ICON)
        if "preload" in rels and (element.get("as") or "").lower() == "font":
            return _named(base, element.get("href"), kind.FONT)
        return []
    if tag == "img":
        return (_named(base, element.get("src"), kind.IMAGE) + _named(base, element.get("data-src"), kind.IMAGE)
                + _srcset(base, element.get("srcset")) + _srcset(base, element.get("data-srcset")))
    if tag == "source" and element.getparent() is not None and element.getparent().tag == "picture":
        return _srcset(base, element.get("srcset")) + _srcset(base, element.get("data-srcset"))
    if tag in ("video", "audio"):
        return _named(base, element.get("poster"), kind.POSTER)
    if tag == "script":
        return _named(base, element.get("src"), kind.SCRIPT)
    if tag in ("iframe", "frame"):
        return _named(base, element.get("src"), kind.IFRAME)
    if tag == "style":
        return css_requisites(element.text or "", base, inline=True)
    if tag == "input" and (element.get("type") or "").lower() == "image":
        return _named(base, element.get("src"), kind.IMAGE)
    return []


def _named(base: str, value: str | None, kind: RequisiteKind) -> list[Requisite]:
    url = _absolute(base, value)
    return [Requisite(url, kind)] if url else []


def _srcset(base: str, value: str | None) -> list[Requisite]:
    """Every candidate of a srcset: "a.png 1x, b.png 2x" (a URL may hold commas only when followed by no space)."""
    found = []
    for candidate in re.split(r",\s+|,(?=\S+\s)", (value or "").strip()):
        url = _absolute(base, candidate.strip().split(" ")[0].rstrip(","))
        if url:
            found.append(Requisite(url, RequisiteKind.IMAGE))
    return found


def _urls(pattern: re.Pattern, css: str, base: str) -> list[str]:
    urls = []
    for match in pattern.finditer(css):
        url = _absolute(base, next((group for group in match.groups() if group is not None), ""))
        if url:
            urls.append(url)
    return urls


def _absolute(base: str, value: str | None) -> str | None:
    value = (value or "").strip()
    if not value or value.lower().startswith(_SKIPPED_SCHEMES):
        return None
    try:
        url = urljoin(base, value).split("#", 1)[0]
    except ValueError:  # an invalid IPv6 host and the like
        return None
    return url if url.startswith(("http://", "https://")) else None


def _base_href(root, page_url: str) -> str:
    for base in root.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            return urljoin(page_url, href)
    return page_url


def _first_of_each(found: list[Requisite]) -> list[Requisite]:
    seen: set[str] = set()
    kept = []
    for item in found:
        if item.url not in seen:
            seen.add(item.url)
            kept.append(item)
    return kept
