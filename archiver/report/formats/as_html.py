"""HTML: self-contained pages (inline CSS, inline SVG, no script, no external fetch) for people to read.

By default one page: what changed, the chart, and the failing references by article.
With --all (render_html_site) an index page, article index pages and a page per article.
Rendered with Jinja's generate(): the text streams out as the articles stream in.

Archived titles, anchor texts and page texts are hostile input: the template is
rendered with autoescape on and never marks archived data safe; only http(s) URLs
become links; a Content-Security-Policy meta forbids scripts and every fetch.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterator

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
                               day=day, percent=percent, side_by_side=side_by_side)
    environment.globals.update(change_text=change_text)
    return environment


def render_html(data: ReportData) -> Iterator[str]:
    """One page: the news, the chart and the failing references by article (every article with --all)."""
    articles = data.articles if data.complete else data.failing_articles
    return _report_page(data, articles, lambda key: f"#article-{key}", list_pages=0)


def render_html_site(data: ReportData) -> Iterator[tuple[str, Iterator[str]]]:
    """--all as pages that each stay small: (relative path, page text in pieces).

    index.html is the default page (news, chart, failing references) linking to articles-N.html,
    an index of every article a store page at a time, each linking to article/<id>.html. Paths
    carry the store's ids, never text from the web.
    """
    pages = max(1, -(-data.summary.articles // data.articles.page_size))
    yield "index.html", _report_page(data, data.failing_articles, lambda key: f"article/{key}.html", list_pages=pages)
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


def _report_page(data: ReportData, articles, article_href, *, list_pages: int) -> Iterator[str]:
    changes = [(CHANGE_TITLES[kind], kind, data.changes.of_kind(kind)) for kind in CHANGE_KINDS]
    return _environment().get_template("report.html.j2").generate(
        data=data, csp=CONTENT_SECURITY_POLICY, changes=[entry for entry in changes if entry[2]], articles=articles,
        article_href=article_href, list_pages=list_pages, home=None, chart=verdict_chart(data.history),
    )
