"""Page metadata from the DOM: base URL, canonical URL, title, byline, publication date, language.

Explicit markup (<meta>, rel=canonical, JSON-LD, <time>) comes first; trafilatura's own guesses are
the fallback.
"""

from __future__ import annotations

import json
import re

from archiver.extract.normalize import first_nonblank, normalized_or, squash
from archiver.urls import is_supported

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
            return normalized_or(href, url, url)
    return url


def _meta_values(dom) -> dict[str, str]:
    values: dict[str, str] = {}
    for meta in dom.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv") or ""
        content = squash(meta.get("content") or "")
        if key.strip() and content:
            values.setdefault(key.strip().lower(), content)
    return values


def canonical_url(dom, base: str) -> str | None:
    """rel=canonical, else og:url, absolutised and normalised; values that are not http(s) are ignored."""
    hrefs = [link.get("href") for link in dom.iter("link") if "canonical" in (link.get("rel") or "").lower().split()]
    hrefs += [_meta_values(dom).get("og:url")]
    for href in hrefs:
        url = normalized_or((href or "").strip(), "", base) if href else ""
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
    title = first_nonblank(*(meta.get(key) for key in _TITLE_KEYS), *titles, getattr(document, "title", None))
    author_links = [a.text_content() for a in dom.iter("a") if "author" in (a.get("rel") or "").lower().split()]
    authors = [meta.get(key) for key in _AUTHOR_KEYS if not (meta.get(key) or "").startswith("http")]
    byline = first_nonblank(*authors, *author_links, getattr(document, "author", None))
    # Generic <time> elements come after JSON-LD: headers often carry today's date in one.
    dates = [meta.get(key) for key in _DATE_KEYS]
    dates += [_json_ld_date(dom), _time_date(dom), getattr(document, "date", None)]
    published = first_nonblank(*(date for date in dates if _ISO_DATE.match((date or "").strip())))
    locale = (meta.get("og:locale") or "").replace("_", "-")
    language = first_nonblank(
        dom.get("lang"), meta.get("content-language"), locale, getattr(document, "language", None)
    )
    return title, byline, published, language
