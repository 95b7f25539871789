"""Verdicts over time: what changed since a moment, and the verdict counts after each check run.

Both are replayed from the observations the check cycle stores (each carries the
link's verdict after that check), so reports need no table of their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Iterable

from archiver.report.model import (
    UNCHECKED, ArticleChange, ArticleReport, Changes, LinkChange, RunVerdicts, ordered_counts,
)

HISTORY_RUNS = 30  # bars in the verdicts-over-time chart: the newest runs that checked anything
NEWSWORTHY = ("dead", "rotten", "drifted")  # a link turning into one of these is "newly ..."
FAILING = ("suspect", "dead", "rotten")
ANSWERING = ("alive", "moved", "drifted")  # the page answers again (drifted: with other content)


def change_kind(before: str, now: str) -> str | None:
    """The news in a verdict going from `before` to `now`: newly_dead, newly_rotten, newly_drifted, moved,
    recovered, or None (no news: same verdict, or a move between shades of failing or of healthy)."""
    if before == now:
        return None
    if now in NEWSWORTHY:
        return f"newly_{now}"
    if now == "moved":
        return "moved"
    if before in FAILING and now in ANSWERING:
        return "recovered"
    return None


def changes_since(store, articles: Iterable[ArticleReport], latest: dict, cutoff: datetime | None) -> Changes:
    """References whose verdict changed, and articles whose own text changed, in checks made at or after `cutoff`.

    Links an article no longer has are left out: nobody needs news of a reference they removed.
    """
    articles = list(articles)
    current = [(article, link) for article in articles for link in article.links if link.still_linked]
    urls = list(dict.fromkeys(link.url for _, link in current))
    before = store.latest_observations_before(urls, cutoff) if cutoff is not None else {}

    def checked_since(url: str):
        row = latest.get(url)
        return row if row is not None and (cutoff is None or row.checked_at >= cutoff) else None

    link_changes = []
    for article, link in current:
        if checked_since(link.url) is None:
            continue
        was = before[link.url].verdict if link.url in before else UNCHECKED
        kind = change_kind(was, link.verdict)
        if kind is not None:
            link_changes.append(LinkChange(kind, article.url, link.url, was, link.verdict))
    article_changes = []
    for article in articles:
        row = checked_since(article.url)
        if row is not None and row.content_change not in (None, "unchanged"):
            article_changes.append(ArticleChange(article.url, row.content_change, row.similarity))
    return Changes(cutoff, tuple(link_changes), tuple(article_changes))


def run_history(store, articles: Iterable[ArticleReport], limit: int = HISTORY_RUNS) -> tuple[RunVerdicts, ...]:
    """For each of the newest `limit` runs that checked anything: the verdicts of the report's references after it.

    A reference counts once per article citing it; one never checked by then is not counted.
    """
    runs = store.observed_runs(limit)
    if not runs:
        return ()
    citations = Counter(link.url for article in articles for link in article.links)
    urls = list(citations)
    state = {url: row.verdict for url, row in store.latest_observations_before(urls, runs[0]["started_at"]).items()}
    checks_by_run: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for run_id, url, verdict in store.verdicts_in_runs(urls, [run["id"] for run in runs]):
        checks_by_run[run_id].append((url, verdict))
    history = []
    for run in runs:
        checks = checks_by_run.get(run["id"], [])
        state.update(checks)
        counts: Counter = Counter()
        for url, verdict in state.items():
            counts[verdict] += citations[url]
        history.append(RunVerdicts(
            run_id=run["id"], kind=run["kind"], started_at=run["started_at"],
            checked=sum(citations[url] for url in {url for url, _ in checks}),
            counts=ordered_counts(counts),
        ))
    return tuple(history)
