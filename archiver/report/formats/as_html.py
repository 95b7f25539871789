"""HTML: one self-contained page (inline CSS, inline SVG, no script, no external fetch) for people to read.

Archived titles, anchor texts and page texts are hostile input: the template is
rendered with autoescape on and never marks archived data safe; only http(s) URLs
become links; a Content-Security-Policy meta forbids scripts and every fetch.
"""

from __future__ import annotations

from functools import lru_cache

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


def render_html(data: ReportData) -> str:
    article_anchor = {article.url: f"article-{index}" for index, article in enumerate(data.articles, start=1)}
    article_label = {article.url: article.label for article in data.articles}
    link_copy = {(article.url, link.url): link.archived_copy for article, link in data.references()}
    link_public = {(article.url, link.url): link.public_copies for article, link in data.references()}
    changes = [(CHANGE_TITLES[kind], kind, data.changes.of_kind(kind)) for kind in CHANGE_KINDS]
    return _environment().get_template("report.html.j2").render(
        data=data, csp=CONTENT_SECURITY_POLICY, counts=data.verdict_counts(), failing=len(data.failing()),
        references=len(data.references()), changes=[entry for entry in changes if entry[2]],
        article_anchor=article_anchor, article_label=article_label, link_copy=link_copy, link_public=link_public,
        chart=verdict_chart(data.history),
    )
