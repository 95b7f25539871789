"""Verdicts over time: what changed since a moment, and the verdict counts after each check run.

Both are replayed from the observations the check cycle stores (each carries the
link's verdict after that check), so reports need no table of their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from archiver.report.model import UNCHECKED, ArticleChange, Changes, LinkChange, RunVerdicts, ordered_counts

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


class NewsAndHistory:
    """The news (verdicts that changed, articles edited, in checks at or after `cutoff`) and the verdict
    counts after each of `runs`, tallied a page of articles at a time.

    Both add up over pages: a page's references bring their own changes, and their verdicts after
    each run count once per citing article. Only the news itself is kept, and per run one Counter.
    Links an article no longer has are left out of the news: nobody needs news of a reference they removed.
    """

    def __init__(self, store, cutoff: datetime | None, runs: list[dict]) -> None:
        self.store, self.cutoff, self.runs = store, cutoff, runs
        self.link_changes: list[LinkChange] = []
        self.article_changes: list[ArticleChange] = []
        self.counts: dict[int, Counter] = {run["id"]: Counter() for run in runs}
        self.checked: Counter = Counter()

    def add(self, article_rows: list[dict], link_rows: list[dict]) -> None:
        """One page: its articles (store rows) and every link row of them (with still_linked)."""
        labels = {row["id"]: row["title"] or row["seed_title"] or row["url"] for row in article_rows}
        urls_of = {row["id"]: row["url"] for row in article_rows}
        current = [link for link in link_rows if link["still_linked"]]
        urls = list(dict.fromkeys(link["url"] for link in current))
        latest = self.store.latest_observations(urls + list(urls_of.values()))
        before = self.store.latest_verdicts_before(urls, self.cutoff) if self.cutoff is not None else {}
        for link in current:
            if self._checked_since(latest.get(link["url"])) is None:
                continue
            was = before.get(link["url"], UNCHECKED)
            now = link["verdict"] or UNCHECKED
            kind = change_kind(was, now)
            if kind is not None:
                self.link_changes.append(LinkChange(kind, urls_of[link["article_id"]], link["url"], was, now,
                                                    labels[link["article_id"]], link["article_id"]))
        for article_id, url in urls_of.items():
            row = self._checked_since(latest.get(url))
            if row is not None and row.content_change not in (None, "unchanged"):
                self.article_changes.append(ArticleChange(url, row.content_change, row.similarity,
                                                          labels[article_id], article_id))
        if self.runs:
            self._add_history(Counter(link["url"] for link in link_rows))

    def _checked_since(self, row):
        return row if row is not None and (self.cutoff is None or row.checked_at >= self.cutoff) else None

    def _add_history(self, citations: Counter) -> None:
        """A page's references: their verdict after each run (the last check by then), once per citation."""
        urls = list(citations)
        state = self.store.latest_verdicts_before(urls, self.runs[0]["started_at"])
        checks_by_run: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for run_id, url, verdict in self.store.verdicts_in_runs(urls, [run["id"] for run in self.runs]):
            checks_by_run[run_id].append((url, verdict))
        for run in self.runs:
            checks = checks_by_run.get(run["id"], [])
            state.update(checks)
            for url, verdict in state.items():
                self.counts[run["id"]][verdict] += citations[url]
            self.checked[run["id"]] += sum(citations[url] for url in {url for url, _ in checks})

    def changes(self) -> Changes:
        return Changes(self.cutoff, tuple(self.link_changes), tuple(self.article_changes))

    def history(self) -> tuple[RunVerdicts, ...]:
        """For each run that checked anything: the verdicts of the report's references after it."""
        return tuple(RunVerdicts(run_id=run["id"], kind=run["kind"], started_at=run["started_at"],
                                 checked=self.checked[run["id"]], counts=ordered_counts(self.counts[run["id"]]))
                     for run in self.runs)
