"""Article inputs -> Article: URL lists, seed documents, RSS/Atom feeds and XML sitemaps.

A seed document is a saved copy of an article that names where it came from
(see ../shared/examples/seed-article.md):

    # Title
    July 19, 2022
    body text ...
    Original url:
    <https://example.com/the-article>

Feeds and sitemaps are read from files here (recognised by their root element)
and from URLs by `load_configured_sources`, through the Fetcher (archiver.sources.feeds).

Every problem is collected as a SourceError naming the file (and line, for URL
lists); one bad input never stops the others from loading. Files are read with a
cap, whatever they are (archiver.sources.files).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from archiver.errors import SourceError
from archiver.models import Article
from archiver.sources.feeds import parse_feed, parse_sitemap, read_remote_feed, read_remote_sitemap
from archiver.sources.files import files_below, read_text
from archiver.urls import is_supported, normalize_url

SEED_SUFFIXES = frozenset({".md", ".markdown"})
MAX_SITEMAP_FILE_URLS = 50_000  # the sitemap protocol's own limit per file

_ORIGINAL_URL = re.compile(r"^\s*[*_]*original\s+url\s*:[*_]*\s*(.*)$", re.IGNORECASE)
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_LINE = re.compile(
    rf"^(?:(?:\w+day,?\s+)?{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # (Tuesday,) July 19, 2022
    rf"|\d{{1,2}}\s+{_MONTHS},?\s+\d{{4}}"  # 19 July 2022
    r"|\d{4}-\d{2}-\d{2}(?:[T ][\d:.+\-Z]*)?)$",  # 2022-07-19
    re.IGNORECASE,
)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_INLINE_LINK = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_EMPHASIS = re.compile(r"(?<![\w*_~])[*_~]+(?=\S)|(?<=\S)[*_~]+(?![\w*_~])")  # not snake_case or 5 * 3
_LINE_MARKUP = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+")
_REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")


def _blocks(markdown: str) -> Iterable[list[str]]:
    """Groups of lines forming one paragraph: split at blank lines, and each list item on its own."""
    for chunk in re.split(r"\n\s*\n", markdown):
        group: list[str] = []
        for line in chunk.splitlines():
            if _REFERENCE_DEFINITION.match(line) or _RULE.match(line):
                continue
            if _LIST_ITEM.match(line) and group:
                yield group
                group = []
            group.append(line)
        yield group


def markdown_to_text(markdown: str) -> str:
    """Plain text of a markdown body: links reduced to their text, markup dropped, one blank line between blocks."""
    paragraphs: list[str] = []
    for lines in _blocks(markdown):
        text = " ".join(_LINE_MARKUP.sub("", line) for line in lines)
        text = _INLINE_LINK.sub(r"\1", _IMAGE.sub("", text))
        text = _HTML_TAG.sub("", _AUTOLINK.sub(r"\1", text)).replace("`", "")
        text = " ".join(_EMPHASIS.sub("", text).split())
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _article_url(value: str, where: str) -> str:
    """The normalised http(s) URL in `value` (bare, <bracketed> or [text](url)), or SourceError."""
    value = value.strip()
    link = re.fullmatch(r"\[[^\]]*\]\((\S+?)\)", value)
    value = link.group(1) if link else value.removeprefix("<").removesuffix(">").strip()
    try:
        url = normalize_url(value)
    except ValueError as exc:
        raise SourceError(where, str(exc)) from None
    if not is_supported(url):
        raise SourceError(where, f"{value!r} is not an http(s) URL")
    return url


def parse_seed_document(text: str, path: str) -> Article:
    """An Article from a seed document; SourceError when it names no (valid) `Original url:`."""
    lines = text.splitlines()
    marker = next((i for i, line in enumerate(lines) if _ORIGINAL_URL.match(line)), None)
    if marker is None:
        raise SourceError(path, "no 'Original url:' line")
    value = _ORIGINAL_URL.match(lines[marker]).group(1).strip()  # type: ignore[union-attr]
    url_line = marker
    if not value:  # the URL is on the next non-empty line
        url_line = next((i for i in range(marker + 1, len(lines)) if lines[i].strip()), marker)
        value = lines[url_line].strip() if url_line != marker else ""
    if not value:
        raise SourceError(path, f"line {marker + 1}: 'Original url:' is not followed by a URL")
    url = _article_url(value, f"{path}:{url_line + 1}")

    title_line = next((i for i in range(marker) if re.match(r"^#\s+\S", lines[i])), None)
    title = lines[title_line].lstrip("#").strip().rstrip("#").strip() if title_line is not None else None
    body_start = title_line + 1 if title_line is not None else 0
    date = None
    first = next((i for i in range(body_start, marker) if lines[i].strip()), None)
    if first is not None and _DATE_LINE.match(lines[first].strip()):
        date, body_start = lines[first].strip(), first + 1
    body = markdown_to_text("\n".join(lines[body_start:marker]))
    return Article(url=url, source=path, seed_title=title, seed_date=date, seed_text=body or None)


def _url_list(text: str, path: str) -> tuple[list[Article], list[SourceError]]:
    articles: list[Article] = []
    errors: list[SourceError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = re.split(r"\s+#", line.strip(), maxsplit=1)[0].strip()  # "#" after a space starts a comment
        if not entry or entry.startswith("#"):
            continue
        try:
            if len(entry.split()) > 1:
                raise SourceError(f"{path}:{number}", f"expected one URL per line, got {entry!r}")
            articles.append(Article(url=_article_url(entry, f"{path}:{number}"), source=path))
        except SourceError as exc:
            errors.append(exc)
    return articles, errors


def parse_url_list(text: str, path: str) -> list[Article]:
    """Articles from a URL list (one per line, `#` comments); SourceError naming path:line on a bad line."""
    articles, errors = _url_list(text, path)
    if errors:
        raise errors[0]
    return articles


def _seed_document(text: str, path: str) -> tuple[list[Article], list[SourceError]]:
    try:
        return [parse_seed_document(text, path)], []
    except SourceError as exc:
        return [], [exc]


def _feed_file(text: str, path: str) -> tuple[list[Article], list[SourceError]]:
    return parse_feed(text.encode("utf-8"), path)


def _sitemap_file(text: str, path: str) -> tuple[list[Article], list[SourceError]]:
    # An XML declaration naming an encoding is refused by lxml on str input: hand it bytes.
    sitemap = parse_sitemap(text.encode("utf-8"), path, max_urls=MAX_SITEMAP_FILE_URLS)
    if sitemap.children:
        sitemap.errors.append(SourceError(path, "a sitemap index: list its URL under [sources] sitemaps to follow it"))
    return sitemap.articles, sitemap.errors


# One reader per kind of input; _kind picks it from the file's name and first bytes.
_READERS: dict[str, Callable[[str, str], tuple[list[Article], list[SourceError]]]] = {
    "seed": _seed_document,
    "urls": _url_list,
    "feed": _feed_file,
    "sitemap": _sitemap_file,
}
_XML_ROOT = re.compile(r"^(?:\s|<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<(?:[\w.-]+:)?([\w.-]+)", re.DOTALL)


def _kind(path: Path, text: str) -> str:
    if path.suffix.lower() in SEED_SUFFIXES or any(_ORIGINAL_URL.match(line) for line in text.splitlines()):
        return "seed"
    root = _XML_ROOT.match(text[:4096])
    if root and root.group(1).lower() in ("rss", "feed", "rdf"):
        return "feed"
    if root and root.group(1).lower() in ("urlset", "sitemapindex"):
        return "sitemap"
    return "urls"


def load_sources(paths: Iterable[str | Path]) -> tuple[list[Article], list[SourceError]]:
    """Articles from files and folders (recursive), deduplicated by URL, and every error met on the way."""
    by_url: dict[str, Article] = {}
    errors: list[SourceError] = []
    for root in map(Path, paths):
        if not root.exists():
            errors.append(SourceError(str(root), "no such file or directory"))
            continue
        for path in files_below(root):
            try:
                text = read_text(path)
            except SourceError as exc:
                errors.append(exc)
                continue
            articles, problems = _READERS[_kind(path, text)](text, str(path))
            errors.extend(problems)
            for article in articles:
                known = by_url.get(article.url)
                # First mention wins, except that a seed document's text beats a bare URL-list entry.
                if known is None or (known.seed_text is None and article.seed_text is not None):
                    by_url[article.url] = article
    return list(by_url.values()), errors


def _is_url(entry: str) -> bool:
    return bool(re.match(r"^https?://", entry, re.IGNORECASE))


def load_configured_sources(sources, fetcher) -> tuple[list[Article], list[SourceError]]:
    """Articles from [sources]: files and folders, then feeds and sitemaps (URLs through `fetcher`, or files).

    Deduplicated by URL, first mention first; the store is idempotent by URL as well.
    """
    files = [entry for entry in (*sources.feeds, *sources.sitemaps) if not _is_url(entry)]
    articles, errors = load_sources([*sources.articles, *files])
    for url in filter(_is_url, sources.feeds):
        found, problems = read_remote_feed(fetcher, url, sources.max_document_bytes)
        articles.extend(found)
        errors.extend(problems)
    for url in filter(_is_url, sources.sitemaps):
        found, problems = read_remote_sitemap(fetcher, url, max_bytes=sources.max_document_bytes,
                                              max_urls=sources.max_sitemap_urls, max_sitemaps=sources.max_sitemaps)
        articles.extend(found)
        errors.extend(problems)
    unique: dict[str, Article] = {}
    for article in articles:
        unique.setdefault(article.url, article)
    return list(unique.values()), errors
