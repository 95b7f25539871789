"""Page metadata from the DOM: base URL, canonical URL, title and clean title, byline, dates, language.

Explicit markup (<meta>, rel=canonical, JSON-LD, <time>) comes first; trafilatura's own guesses are
the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archiver.extract.dates import PageDates, json_ld_scripts, page_dates
from archiver.extract.normalize import first_nonblank, normalized_or, squash
from archiver.extract.titles import clean_title
from archiver.urls import is_supported

_TITLE_KEYS = ("og:title", "twitter:title")
_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")


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


@dataclass(frozen=True)
class PageMeta:
    title: str | None  # the page's own title
    clean_title: str | None  # without the site's name
    byline: str | None
    dates: PageDates
    language: str | None


def _json_ld_strings(dom, *path: str) -> list[str]:
    """Values at `path` (e.g. "publisher", "name") in the page's JSON-LD objects."""
    found = []
    for data in json_ld_scripts(dom):
        for node in data if isinstance(data, list) else [data]:
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, str):
                found.append(node)
    return found


def page_metadata(dom, document, url: str, latest: datetime | None = None) -> PageMeta:
    """Title, clean title, byline, dates and language, each from the most explicit signal the page gives.

    `document` is trafilatura's result (or None): its guesses are the fallback, never its date (see dates.py).
    """
    meta = _meta_values(dom)
    headings = [squash(el.text_content()) for el in dom.iter("h1")]
    titles = [el.text_content() for el in dom.iter("title")] + headings
    title = first_nonblank(*(meta.get(key) for key in _TITLE_KEYS), *titles, getattr(document, "title", None))
    site_names = [meta.get("og:site_name"), meta.get("application-name"), meta.get("twitter:site", "").lstrip("@"),
                  *_json_ld_strings(dom, "publisher", "name")]
    headlines = [*_json_ld_strings(dom, "headline"), meta.get("og:title"), *headings]
    clean = clean_title(title, headlines, url, site_names)
    author_links = [a.text_content() for a in dom.iter("a") if "author" in (a.get("rel") or "").lower().split()]
    authors = [meta.get(key) for key in _AUTHOR_KEYS if not (meta.get(key) or "").startswith("http")]
    byline = first_nonblank(*authors, *author_links, getattr(document, "author", None))
    locale = (meta.get("og:locale") or "").replace("_", "-")
    language = first_nonblank(
        dom.get("lang"), meta.get("content-language"), locale, getattr(document, "language", None)
    )
    return PageMeta(title, clean, byline, page_dates(dom, meta, url, latest), language)
