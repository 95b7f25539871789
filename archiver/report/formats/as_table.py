"""The terminal table: one rich table per article, coloured by verdict, and a summary line.

Not on a terminal (piped, -o FILE) it is plain text instead: one tab-separated line
per link under its article, whole URLs, nothing wrapped, so it greps and cuts well.
"""

from __future__ import annotations

import io

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
    return (f"{len(data.references())} references (one per article and link) in {len(data.articles)} articles: "
            f"{counts or 'none'}; "
            f"{len(data.failing())} {'/'.join(data.fail_on) or 'failing'}; "
            f"since {since}: {news or 'no changes'}")


def render_table(data: ReportData, *, terminal: bool = False, width: int = 120) -> str:
    if not terminal:
        return _plain(data)
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=width, color_system="standard", highlight=False)
    for article in data.articles:
        console.print(_article_table(article))
    console.print(Text(summary_line(data), style="bold"))
    return out.getvalue()


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


def _plain(data: ReportData) -> str:
    lines = []
    for article in data.articles:
        own = change_text(article.content_change, article.similarity)
        lines.append(f"{article.url}\t{one_line(article.title)}\t{article.verdict}" + (f"\t{own}" if own else ""))
        lines.append("\t" + "\t".join(PLAIN_HEADER))
        for link in article.links:
            cells = (link.verdict_label, link.observation or "", str(link.http_status or ""),
                     change_text(link.content_change, link.similarity), link.url, one_line(link.anchor_text))
            lines.append("\t" + "\t".join(cells))
    lines.append(summary_line(data))
    return "\n".join(lines) + "\n"
