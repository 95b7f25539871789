"""HTML: self-contained pages (inline CSS, inline SVG, no script, no external fetch) for people to read.

By default one page: what changed, the chart, and the failing references by article, each list
cut at ReportData.changes_shown / failing_articles_shown with a line saying how many more there are.
With --all (render_html_site) an index page (the same cuts), pages of every change of each kind,
article index pages and a page per article.
Rendered with Jinja's generate(): the text streams out as the articles stream in.

Archived titles, anchor texts and page texts are hostile input: the template is
rendered with autoescape on and never marks archived data safe; only http(s) URLs
become links; a Content-Security-Policy meta forbids scripts and every fetch.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterator, NamedTuple

from jinja2 import Environment, PackageLoader, StrictUndefined

from archiver.report.formats.chart import verdict_chart
from archiver.report.formats.diffview import side_by_side
from archiver.report.formats.common import change_text, day, is_web_url, percent, short_time
from archiver.report.model import CHANGE_KINDS, CHANGE_TITLES, ReportData

CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                           "base-uri 'none'; form-action 'none'")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("archiver.report", "templates"), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(web_url=lambda url: url if is_web_url(url) else None, short_time=short_time,
                               day=day, percent=percent, side_by_side=side_by_side,
                               thousands=lambda n: f"{n:,}")
    environment.globals.update(change_text=change_text)
    return environment


def render_html(data: ReportData) -> Iterator[str]:
    """One page: the news, the chart and the failing references by article (every article with --all).

    Without --all each list stops at the report's cut (what the daemon writes stays a few MB at any size).
    """
    articles = data.articles if data.complete else data.failing_articles
    return _report_page(data, articles, lambda key: f"#article-{key}", list_pages=0, capped=not data.complete)


def render_html_site(data: ReportData) -> Iterator[tuple[str, Iterator[str]]]:
    """--all as pages that each stay small: (relative path, page text in pieces).

    index.html is the default page (news, chart, failing references, cut as without --all) linking to
    changes-<kind>-N.html (every change of that kind, changes_shown a page) and articles-N.html, an index
    of every article a store page at a time, each linking to article/<id>.html. Paths carry the store's
    ids and our own names, never text from the web.
    """
    pages = max(1, -(-data.summary.articles // data.articles.page_size))
    yield "index.html", _report_page(data, data.failing_articles, lambda key: f"article/{key}.html", list_pages=pages,
                                     capped=True, changes_href=lambda kind: f"changes-{kind}-1.html")
    yield from _changes_pages(data)
    environment = _environment()
    listing, one = environment.get_template("article_list.html.j2"), environment.get_template("article_page.html.j2")
    number = 0
    for number, page in enumerate(data.articles.pages(), start=1):
        yield f"articles-{number}.html", listing.generate(
            data=data, csp=CONTENT_SECURITY_POLICY, page=page, number=number, list_pages=pages, home="index.html",
            article_href=lambda key: f"article/{key}.html")
        for article in page:
            yield f"article/{article.key}.html", one.generate(data=data, csp=CONTENT_SECURITY_POLICY, article=article,
                                                              home="../index.html")
    if number == 0:  # no article yet: the index's link still leads somewhere
        yield "articles-1.html", listing.generate(data=data, csp=CONTENT_SECURITY_POLICY, page=[], number=1,
                                                  list_pages=1, home="index.html", article_href=str)


def _changes_pages(data: ReportData) -> Iterator[tuple[str, Iterator[str]]]:
    """changes-<kind>-N.html: every change of each kind the index page cuts, changes_shown to a page."""
    template = _environment().get_template("changes_page.html.j2")
    streams = [(CHANGE_TITLES[kind], kind, data.changes.of_kind(kind)) for kind in CHANGE_KINDS]
    streams.append(("Articles edited", "articles_edited", data.changes.articles))
    size = data.changes_shown
    for heading, kind, stream in streams:
        if not stream.more_than(size):
            continue
        pages = -(-len(stream) // size)
        chunk: list = []
        number = 0
        for change in stream:  # a page's worth of changes held at a time
            chunk.append(change)
            if len(chunk) == size:
                number += 1
                yield _changes_page(template, data, heading, kind, chunk, number, pages)
                chunk = []
        if chunk:
            yield _changes_page(template, data, heading, kind, chunk, number + 1, max(pages, number + 1))


def _changes_page(template, data: ReportData, heading: str, kind: str, items: list, number: int, pages: int):
    # The page is rendered whole here: `items` is handed on and the caller's list starts afresh.
    text = "".join(template.generate(
        data=data, csp=CONTENT_SECURITY_POLICY, heading=heading, kind=kind, items=items, number=number, pages=pages,
        home="index.html", article_href=lambda key: f"article/{key}.html",
        page_href=lambda n: f"changes-{kind}-{n}.html"))
    return f"changes-{kind}-{number}.html", iter([text])


def _report_page(data: ReportData, articles, article_href, *, list_pages: int, capped: bool,
                 changes_href=None) -> Iterator[str]:
    shown = data.changes_shown if capped else None
    changes = [(CHANGE_TITLES[kind], kind, _cut(data.changes.of_kind(kind), shown)) for kind in CHANGE_KINDS]
    listed = _cut(articles, data.failing_articles_shown if capped else None)
    return _environment().get_template("report.html.j2").generate(
        data=data, csp=CONTENT_SECURITY_POLICY, changes=[entry for entry in changes if entry[2].total],
        edited=_cut(data.changes.articles, shown), articles=listed.shown, more_articles=listed.more,
        article_href=article_href, list_pages=list_pages,
        changes_href=changes_href, home=None, chart=verdict_chart(data.history),
    )


class Cut(NamedTuple):
    """A list as a page shows it: the items shown (read as the page is written), how many in all, how many more."""

    shown: Iterator
    total: int
    more: int


def _cut(stream, limit: int | None) -> Cut:
    """The first `limit` items of `stream` (all of them when None)."""
    if limit is None:
        return Cut(iter(stream), len(stream), 0)
    return Cut(stream.first(limit), len(stream), stream.more_than(limit))
