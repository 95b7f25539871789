"""Verdicts over time: the verdict counts after each check run, and how much news since a moment.

Both are replayed from the observations the check cycle stores (each carries the
link's verdict after that check), so reports need no table of their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from archiver.report.model import RunVerdicts, ordered_counts
from archiver.report.news import NewsCounter

HISTORY_RUNS = 30  # bars in the verdicts-over-time chart: the newest runs that checked anything


class NewsAndHistory:
    """The verdict counts after each of `runs`, and the news (verdicts that changed, articles edited, in
    checks at or after `cutoff`) counted by kind, tallied a page of articles at a time.

    Both add up over pages: a page's references bring their own changes, and their verdicts after
    each run count once per citing article. Kept: per run one Counter, and one Counter of news by
    kind; the news itself is read again when it is written (news.NewsCounter.changes).
    """

    def __init__(self, store, cutoff: datetime | None, runs: list[dict]) -> None:
        self.store, self.cutoff, self.runs = store, cutoff, runs
        self.news = NewsCounter(store, cutoff)
        self.counts: dict[int, Counter] = {run["id"]: Counter() for run in runs}
        self.checked: Counter = Counter()

    def add(self, article_rows: list[dict], link_rows: list[dict]) -> None:
        """One page: its articles (store rows) and every link row of them (with still_linked)."""
        self.news.add([row["url"] for row in article_rows], link_rows)
        if self.runs:
            self._add_history(Counter(link["url"] for link in link_rows))

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

    def history(self) -> tuple[RunVerdicts, ...]:
        """For each run that checked anything: the verdicts of the report's references after it."""
        return tuple(RunVerdicts(run_id=run["id"], kind=run["kind"], started_at=run["started_at"],
                                 checked=self.checked[run["id"]], counts=ordered_counts(self.counts[run["id"]]))
                     for run in self.runs)


def kept_history(runs: list[dict], tallies: dict[int, tuple[int, dict[str, int]]]) -> tuple[RunVerdicts, ...]:
    """The same chart from the tallies the runs kept as they ended (store.run_tallies): no replay, no pass
    over the archive. Every one of `runs` must have its tally."""
    return tuple(RunVerdicts(run_id=run["id"], kind=run["kind"], started_at=run["started_at"],
                             checked=tallies[run["id"]][0], counts=ordered_counts(Counter(tallies[run["id"]][1])))
                 for run in runs)
