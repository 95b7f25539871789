"""RSS/Atom feeds and XML sitemaps as article sources: the only module that imports feedparser.

Remote documents come through archiver's Fetcher, so the network guard, the
timeouts and the size caps hold for a newsroom's feed exactly as for any page;
nothing here opens a connection of its own. Every bound is explicit: bytes
after decompression (`max_document_bytes`), URLs per sitemap, sitemaps per
index, and one level of index (the sitemap protocol allows no deeper nesting).

Parsers take bytes and return (articles, errors); one bad entry never hides
the others, and every error is a SourceError naming the document.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from io import BytesIO
from urllib.parse import urljoin

import feedparser
from lxml import etree

from archiver.errors import SourceError
from archiver.models import Article
from archiver.urls import is_supported, normalize_url

GZIP_MAGIC = b"\x1f\x8b"
# No DTDs, no entities, no network: a sitemap is data, never a way to make us fetch or expand anything.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass
class Sitemap:
    """What one sitemap document lists: article URLs (a urlset) or further sitemaps (a sitemap index)."""

    articles: list[Article] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


def _article(url: str, base: str | None, where: str, **seed) -> Article:
    """The normalised http(s) article at `url` (relative to `base`), or SourceError."""
    try:
        normalised = normalize_url(urljoin(base, url.strip()) if base else url.strip())
    except ValueError as exc:
        raise SourceError(where, f"{url!r}: {exc}") from None
    if not is_supported(normalised):
        raise SourceError(where, f"{url!r} is not an absolute http(s) URL")
    return Article(url=normalised, source=where, **seed)


def parse_feed(data: bytes, where: str, base: str | None = None) -> tuple[list[Article], list[SourceError]]:
    """Articles from an RSS or Atom feed: each entry's link, with its title and date as seed fields."""
    # A stream, never bytes or str: feedparser opens a str that looks like a URL or path by itself.
    parsed = feedparser.parse(BytesIO(data), response_headers={"content-location": base} if base else None)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        return [], [SourceError(where, f"not an RSS or Atom feed ({reason})")]
    articles, errors = [], []
    for number, entry in enumerate(parsed.entries, start=1):
        link = entry.get("link") or next((l.get("href") for l in entry.get("links", ()) if l.get("href")), None)
        if not link:
            errors.append(SourceError(f"{where} entry {number}", "has no link"))
            continue
        try:
            articles.append(_article(link, base, where, seed_title=entry.get("title") or None,
                                     seed_date=entry.get("published") or entry.get("updated") or None))
        except SourceError as exc:
            errors.append(exc)
    return articles, errors


def parse_sitemap(data: bytes, where: str, *, max_urls: int, base: str | None = None) -> Sitemap:
    """A urlset's <loc> URLs (at most `max_urls`), or a sitemap index's child sitemap URLs."""
    result = Sitemap()
    try:
        root = etree.fromstring(data, parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        result.errors.append(SourceError(where, f"not well-formed XML ({exc})"))
        return result
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        result.errors.append(SourceError(where, f"not a sitemap: root element <{kind}>"))
        return result
    entry_name = "url" if kind == "urlset" else "sitemap"
    locations = [loc.text or "" for entry in root if isinstance(entry.tag, str)
                 and etree.QName(entry).localname == entry_name
                 for loc in entry if isinstance(loc.tag, str) and etree.QName(loc).localname == "loc"]
    if len(locations) > max_urls:
        result.errors.append(SourceError(where, f"lists {len(locations)} URLs; only the first {max_urls} are read"))
        locations = locations[:max_urls]
    for location in locations:
        try:
            article = _article(location, base, where)
        except SourceError as exc:
            result.errors.append(exc)
            continue
        if kind == "urlset":
            result.articles.append(article)
        else:
            result.children.append(article.url)
    return result


def gunzip_bounded(data: bytes, limit: int, where: str) -> bytes:
    """`data` inflated if it is gzip (a `.xml.gz` sitemap served without Content-Encoding), at most `limit` bytes."""
    if not data.startswith(GZIP_MAGIC):
        return data
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise SourceError(where, f"corrupt gzip data ({exc})") from None
    if len(out) > limit:
        raise SourceError(where, f"larger than {limit} bytes once decompressed")
    return out


def fetch_document(fetcher, url: str, max_bytes: int) -> bytes:
    """The body of `url`, fetched through `fetcher` and decompressed; SourceError unless complete and 2xx.

    The fetcher's own caps bound what is read (its max_extract_bytes should be `max_bytes`).
    """
    fetch = fetcher.fetch(url)
    try:
        final = fetch.final
        if final is None:
            raise SourceError(url, f"{fetch.failure}: {fetch.failure_detail}")
        if not 200 <= final.status < 300:
            raise SourceError(url, f"HTTP {final.status}")
        if final.body.truncated or not final.body.decoded_complete:
            raise SourceError(url, f"cut short ({final.body.truncated or 'size'}); larger than {max_bytes} bytes?")
        return gunzip_bounded(final.body.decoded, max_bytes, url)
    finally:
        fetch.close()


def read_remote_feed(fetcher, url: str, max_bytes: int) -> tuple[list[Article], list[SourceError]]:
    try:
        return parse_feed(fetch_document(fetcher, url, max_bytes), url, base=url)
    except SourceError as exc:
        return [], [exc]


def read_remote_sitemap(fetcher, url: str, *, max_bytes: int, max_urls: int,
                        max_sitemaps: int) -> tuple[list[Article], list[SourceError]]:
    """Articles from a sitemap URL; an index is followed one level down, to at most `max_sitemaps` sitemaps."""
    try:
        top = parse_sitemap(fetch_document(fetcher, url, max_bytes), url, max_urls=max_urls, base=url)
    except SourceError as exc:
        return [], [exc]
    articles, errors = top.articles, top.errors
    if len(top.children) > max_sitemaps:
        errors.append(SourceError(url, f"indexes {len(top.children)} sitemaps; only the first {max_sitemaps} are read"))
    for child_url in top.children[:max_sitemaps]:
        try:
            child = parse_sitemap(fetch_document(fetcher, child_url, max_bytes), child_url, max_urls=max_urls,
                                  base=child_url)
        except SourceError as exc:
            errors.append(exc)
            continue
        if child.children:
            errors.append(SourceError(child_url, "a sitemap index inside a sitemap index is not followed"))
        articles.extend(child.articles)
        errors.extend(child.errors)
    return articles, errors
