"""Robust Links (robustlinks.mementoweb.org): each reference as an <a> carrying its archived copy, one per line.

The version URL is our own earliest copy; without one, a public archive's memento (dated) when one was found.

Only http(s) references are written (a javascript: or mailto: href has no business in a page).
Every attribute and the anchor text are HTML-escaped: anchor texts come from archived pages.
"""

from __future__ import annotations

from html import escape
from typing import Iterator

from archiver.report.formats.common import day, is_web_url
from archiver.report.model import LinkReport, ReportData


def render_robustlinks(data: ReportData) -> Iterator[str]:
    for article in data.articles:
        yield "".join(_anchor(link) + "\n" for link in article.links if link.still_linked and is_web_url(link.url))


def _anchor(link: LinkReport) -> str:
    attributes = [("href", link.url), ("data-originalurl", link.url)]
    public = [copy for copy in link.public_copies if copy.captured_at is not None and is_web_url(copy.memento_url)]
    if link.archived_copy is not None:
        attributes += [("data-versionurl", link.archived_copy.replay_url),
                       ("data-versiondate", day(link.archived_copy.captured_at))]
    elif public:
        attributes += [("data-versionurl", public[0].memento_url), ("data-versiondate", day(public[0].captured_at))]
    rendered = " ".join(f'{name}="{escape(value, quote=True)}"' for name, value in attributes)
    return f"<a {rendered}>{escape(link.anchor_text or link.url)}</a>"
