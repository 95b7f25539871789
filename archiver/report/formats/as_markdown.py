"""Markdown for a pull request or wiki page: what changed, then one section per article with a table of links."""

from __future__ import annotations

import re
from typing import Iterator

from archiver.report.formats.common import change_text, day, is_web_url, one_line, short_time
from archiver.report.model import (
    CHANGE_KINDS, CHANGE_TITLES, ArticleChange, ArticleReport, LinkChange, LinkReport, ReportData,
)

_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")  # characters Markdown (or the HTML inside it) would act on


def text(value: str | None) -> str:
    """Archived text made inert: markup escaped, line breaks flattened (a table cell is one line)."""
    return _MARKUP.sub(r"\\\1", one_line(value))


def link_to(label: str, url: str) -> str:
    """[label](<url>) for an http(s) URL; the escaped URL as text otherwise."""
    if not is_web_url(url):
        return text(url)
    target = url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20").replace("|", "%7C")
    return f"[{text(label)}](<{target}>)"


def render_markdown(data: ReportData) -> Iterator[str]:
    counts = ", ".join(f"{verdict} {n}" for verdict, n in data.verdict_counts().items())
    since = short_time(data.changes.since) + " UTC" if data.changes.since else "the first check"
    lines = [f"# {text(data.title)}", "",
             f"Generated {short_time(data.generated_at)} UTC · {data.summary.references} references "
             f"(one per article and link) in "
             f"{data.summary.articles} articles: {counts or 'none'}", "", f"## Changes since {since}", ""]
    yield "\n".join(lines) + "\n"
    any_news = False
    for pages in [data.changes.of_kind(kind).pages() for kind in CHANGE_KINDS] + [data.changes.articles.pages()]:
        for page in pages:  # the news a store page at a time
            any_news = True
            yield "".join(_change(change) + "\n" for change in page)
    yield "\n\n" if any_news else "Nothing changed.\n\n"
    for article in data.articles:
        yield "\n" + "\n".join(_article(article)).rstrip("\n") + "\n"


def _change(change: LinkChange | ArticleChange) -> str:
    article = link_to(change.article_label or change.article_url, change.article_url)
    if isinstance(change, ArticleChange):
        return f"- **Article edited**: {article}, own text {change_text(change.content_change, change.similarity)}"
    return (f"- **{CHANGE_TITLES[change.kind]}** ({change.verdict_before} → {change.verdict_now}): "
            f"{link_to(change.url, change.url)} in {article}")


def _article(article: ArticleReport) -> list[str]:
    lines = [f"## {link_to(article.label, article.url)}", ""]
    facts = [f"verdict **{article.verdict}**"]
    if article.date:
        facts.append(f"published {text(article.date)}")
    if article.content_change:
        facts.append(f"own text {change_text(article.content_change, article.similarity)}")
    if article.last_checked:
        facts.append(f"last checked {short_time(article.last_checked)} UTC")
    lines += [" · ".join(facts), ""]
    if not article.links:
        return lines + ["No references.", ""]
    lines += ["| Verdict | Reference | Observation | HTTP | Change | Archived copy |",
              "| --- | --- | --- | --- | --- | --- |"]
    lines += [_row(link) for link in article.links]
    return lines + [""]


def _row(link: LinkReport) -> str:
    reference = link_to(link.anchor_text or link.url, link.url)
    if link.anchor_text:
        reference += f" — {text(link.url)}"
    copies = [link_to(f"archived {day(link.archived_copy.captured_at)}", link.archived_copy.replay_url)] if link.archived_copy else []
    copies += [link_to(f"{copy.archive} {day(copy.captured_at)}".rstrip(), copy.memento_url) for copy in link.public_copies]
    copy = " · ".join(copies)
    cells = (link.verdict_label, reference, text(link.observation), str(link.http_status or ""),
             text(change_text(link.content_change, link.similarity)), copy)
    return "| " + " | ".join(cells) + " |"
