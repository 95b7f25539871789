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
FLUSH_LINES, FLUSH_AT = 1000, 1_000_000  # news lines (characters on a terminal) written out at a time


def summary_line(data: ReportData) -> str:
    counts = ", ".join(f"{verdict} {n}" for verdict, n in data.verdict_counts().items())
    news = ", ".join(f"{kind.replace('_', ' ')} {len(data.changes.of_kind(kind))}"
                     for kind in CHANGE_KINDS if len(data.changes.of_kind(kind)))
    since = short_time(data.changes.since) if data.changes.since else "the first check"
    return (f"{data.summary.references} references (one per article and link) in {data.summary.articles} articles: "
            f"{counts or 'none'}; "
            f"{data.summary.failing} {'/'.join(data.fail_on) or 'failing'}; "
            f"since {since}: {news or 'no changes'}")


def scope_line(data: ReportData) -> str:
    """What the default view leaves out, and how to see it."""
    shown = data.summary.failing_articles
    if shown > data.failing_articles_shown:  # the list was cut: say so beside the totals
        return (f"shown: the news and the failing references of the first {data.failing_articles_shown} of {shown} "
                f"article(s) ({data.summary.failing} failing reference(s) in all); {data.summary.articles - shown} "
                f"other article(s) and {data.summary.references - data.summary.failing} other reference(s) not "
                f"listed (--all lists every one)")
    return (f"shown: the news and the {data.summary.failing} failing reference(s) in {shown} article(s); "
            f"{data.summary.articles - shown} other article(s) and {data.summary.references - data.summary.failing} "
            f"other reference(s) not listed (--all lists every one)")


def more_line(more: int, what: str = "") -> str:
    """The line that ends a cut list: how many it leaves out, and where they are."""
    return f"… and {more:,} more{what}: see `archiver report --all` / the JSON report"


def news_lines(data: ReportData, limit: int | None = None) -> Iterator[str]:
    """One line per change since the report's `since` (kind, URL, verdict before and now, the article), the
    first `limit` of each kind and a line saying how many more; read from the store as they are written."""
    for kind in CHANGE_KINDS:
        stream = data.changes.of_kind(kind)
        for change in stream if limit is None else stream.first(limit):
            yield (f"{kind.replace('_', ' ')}\t{one_line(change.url)}\t{change.verdict_before} -> "
                   f"{change.verdict_now}\t{one_line(change.article_url)}")
        if limit is not None and stream.more_than(limit):
            yield f"{kind.replace('_', ' ')}\t" + more_line(stream.more_than(limit))
    edited = data.changes.articles
    for change in edited if limit is None else edited.first(limit):
        yield f"article edited\t{one_line(change.article_url)}\t{change_text(change.content_change, change.similarity)}"
    if limit is not None and edited.more_than(limit):
        yield "article edited\t" + more_line(edited.more_than(limit))


def _shown_articles(data: ReportData):
    """(the articles to list, the line after them or None): every one with --all, else the first failing ones."""
    if data.complete:
        return data.articles.pages(), None
    limit = data.failing_articles_shown
    more = data.failing_articles.more_than(limit)
    return _pages_of(data.failing_articles.first(limit), data.failing_articles.page_size), \
        (more_line(more, " article(s) with failing references") if more else None)


def _pages_of(items, size: int) -> Iterator[list]:
    page: list = []
    for item in items:
        page.append(item)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def render_table(data: ReportData, *, terminal: bool = False, width: int = 120) -> Iterator[str]:
    """Every article with --all (data.complete); otherwise the news and the failing references by article,
    each cut at the report's changes_shown / failing_articles_shown with a line saying how many more."""
    pages, more = _shown_articles(data)
    if not terminal:
        yield from _plain(data, pages, more)
        return
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=width, color_system="standard", highlight=False)
    if not data.complete:
        console.print(Text("What changed", style="bold"))
        any_news = False
        for line in news_lines(data, data.changes_shown):
            console.print(Text(line.replace("\t", "  ")), soft_wrap=True)
            any_news = True
            if out.tell() > FLUSH_AT:
                yield _drained(out)
        if not any_news:
            console.print(Text("no changes"))
    for page in pages:
        for article in page:
            console.print(_article_table(article))
        yield _drained(out)  # a page of articles at a time
    if more:
        console.print(Text(more))
    if not data.complete:
        console.print(Text(scope_line(data)))
    console.print(Text(summary_line(data), style="bold"))
    yield out.getvalue()


def _drained(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


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


def _plain(data: ReportData, pages, more: str | None) -> Iterator[str]:
    if not data.complete:
        yield "what changed\n"
        lines: list[str] = []
        for line in news_lines(data, data.changes_shown):
            lines.append(line)
            if len(lines) == FLUSH_LINES:
                yield "".join(f"{line}\n" for line in lines)
                lines = []
        yield "".join(f"{line}\n" for line in lines)
    for page in pages:
        for article in page:
            yield "".join(f"{line}\n" for line in _plain_article(article))
    if more:
        yield more + "\n"
    if not data.complete:
        yield scope_line(data) + "\n"
    yield summary_line(data) + "\n"


def _plain_article(article: ArticleReport) -> list[str]:
    own = change_text(article.content_change, article.similarity)
    lines = [f"{article.url}\t{one_line(article.title)}\t{article.verdict}" + (f"\t{own}" if own else ""),
             "\t" + "\t".join(PLAIN_HEADER)]
    for link in article.links:
        cells = (link.verdict_label, link.observation or "", str(link.http_status or ""),
                 change_text(link.content_change, link.similarity), link.url, one_line(link.anchor_text))
        lines.append("\t" + "\t".join(cells))
    return lines
