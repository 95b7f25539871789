"""CSV: one row per article x link, for spreadsheets. Cells are plain values; times ISO 8601 UTC."""

from __future__ import annotations

import csv
import io
from typing import Iterator

from archiver.report.formats.common import iso
from archiver.report.model import ArticleReport, LinkReport, ReportData

COLUMNS = (
    "article_url", "article_title", "article_verdict", "url", "anchor_text", "verdict", "verdict_since",
    "observation", "http_status", "final_url", "content_change", "similarity", "first_seen", "last_checked",
    "still_linked", "archived_copy", "warc_file", "warc_offset", "record_id", "public_copies", "override",
)
# A cell starting with one of these is run as a formula by spreadsheet programs: archived titles are hostile.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_csv(data: ReportData) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for article in data.articles:
        for link in article.links:
            writer.writerow([_cell(value) for value in _row(article, link)])
        yield out.getvalue()  # one article's rows at a time
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def _row(article: ArticleReport, link: LinkReport) -> tuple:
    latest = link.captures[-1] if link.captures else None
    return (
        article.url, article.title or "", article.verdict, link.url, link.anchor_text, link.verdict,
        iso(link.verdict_since), link.observation, link.http_status, link.final_url, link.content_change,
        link.similarity, iso(link.first_seen), iso(link.last_checked), "yes" if link.still_linked else "no",
        link.archived_copy.replay_url if link.archived_copy else None,
        latest.warc_file if latest else None, latest.warc_offset if latest else None,
        latest.record_id if latest else None,
        " ".join(copy.memento_url for copy in link.public_copies),  # URLs hold no spaces
        link.override,
    )


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
