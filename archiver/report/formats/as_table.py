"""The terminal table: the news, then one rich table per article with a failing reference (only those
references), coloured by verdict, and summary lines; with --all every article and reference.

Not on a terminal (piped, -o FILE) it is plain text instead: one tab-separated line
per link under its article, whole URLs, nothing wrapped, so it greps and cuts well.
Rendered a page of articles at a time: a Rich console per page, never one for the archive.
"""

from __future__ import annotations

import io
from typing import Iterator

from rich.console import Console
from rich.table import Table
from rich.text import Text

from archiver.report.formats.common import change_text, one_line, short_time
from archiver.report.model import CHANGE_KINDS, ArticleReport, ReportData

VERDICT_STYLES = {
    "alive": "green", "moved": "cyan", "suspect": "yellow", "unverifiable": "bright_black",
    "drifted": "magenta", "rotten": "red", "dead": "bold red", "unchecked": "dim",
}
PLAIN_HEADER = ("verdict", "observation", "http", "change", "url", "anchor text")


def summary_line(data: ReportData) -> str:
    counts = ", ".join(f"{verdict} {n}" for verdict, n in data.verdict_counts().items())
    news = ", ".join(f"{kind.replace('_', ' ')} {len(data.changes.of_kind(kind))}"
                     for kind in CHANGE_KINDS if data.changes.of_kind(kind))
    since = short_time(data.changes.since) if data.changes.since else "the first check"
    return (f"{data.summary.references} references (one per article and link) in {data.summary.articles} articles: "
            f"{counts or 'none'}; "
            f"{data.summary.failing} {'/'.join(data.fail_on) or 'failing'}; "
            f"since {since}: {news or 'no changes'}")


def scope_line(data: ReportData) -> str:
    """What the default view leaves out, and how to see it."""
    shown = data.summary.failing_articles
    return (f"shown: the news and the {data.summary.failing} failing reference(s) in {shown} article(s); "
            f"{data.summary.articles - shown} other article(s) and {data.summary.references - data.summary.failing} "
            f"other reference(s) not listed (--all lists every one)")


def news_lines(data: ReportData) -> list[str]:
    """One line per change since the report's `since`: kind, URL, verdict before and now, the article."""
    lines = []
    for kind in CHANGE_KINDS:
        for change in data.changes.of_kind(kind):
            lines.append(f"{kind.replace('_', ' ')}\t{one_line(change.url)}\t{change.verdict_before} -> "
                         f"{change.verdict_now}\t{one_line(change.article_url)}")
    for edited in data.changes.articles:
        lines.append(f"article edited\t{one_line(edited.article_url)}\t"
                     f"{change_text(edited.content_change, edited.similarity)}")
    return lines


def render_table(data: ReportData, *, terminal: bool = False, width: int = 120) -> Iterator[str]:
    """Every article with --all (data.complete); otherwise the news and the failing references by article."""
    articles = data.articles if data.complete else data.failing_articles
    if not terminal:
        yield from _plain(data, articles)
        return
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=width, color_system="standard", highlight=False)
    if not data.complete:
        console.print(Text("What changed", style="bold"))
        for line in news_lines(data) or ["no changes"]:
            console.print(Text(line.replace("\t", "  ")), soft_wrap=True)
    for page in articles.pages():
        for article in page:
            console.print(_article_table(article))
        yield out.getvalue()  # a page of articles at a time
        out.seek(0)
        out.truncate()
    if not data.complete:
        console.print(Text(scope_line(data)))
    console.print(Text(summary_line(data), style="bold"))
    yield out.getvalue()


def _article_table(article: ArticleReport) -> Table:
    title = Text(one_line(article.label), style="bold")
    title.append(f"\n{article.url}", style="dim")
    if article.content_change not in (None, "unchanged"):
        title.append(f"\nown text {change_text(article.content_change, article.similarity)}", style="magenta")
    table = Table("verdict", "observation", "http", "change", "reference", title=title, title_justify="left",
                  expand=True)
    for link in article.links:
        reference = Text(one_line(link.anchor_text) + "\n" if link.anchor_text else "")
        reference.append(link.url, style="underline")
        table.add_row(Text(link.verdict_label, style=VERDICT_STYLES.get(link.verdict, "")), Text(link.observation or ""),
                      str(link.http_status or ""), Text(change_text(link.content_change, link.similarity)), reference)
    return table


def _plain(data: ReportData, articles) -> Iterator[str]:
    if not data.complete:
        yield "".join(f"{line}\n" for line in ["what changed", *news_lines(data)])
    for article in articles:
        lines = []
        own = change_text(article.content_change, article.similarity)
        lines.append(f"{article.url}\t{one_line(article.title)}\t{article.verdict}" + (f"\t{own}" if own else ""))
        lines.append("\t" + "\t".join(PLAIN_HEADER))
        for link in article.links:
            cells = (link.verdict_label, link.observation or "", str(link.http_status or ""),
                     change_text(link.content_change, link.similarity), link.url, one_line(link.anchor_text))
            lines.append("\t" + "\t".join(cells))
        yield "".join(f"{line}\n" for line in lines)
    if not data.complete:
        yield scope_line(data) + "\n"
    yield summary_line(data) + "\n"
