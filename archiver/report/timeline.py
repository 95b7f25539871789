"""Verdicts over time: the verdict counts after each check run.

Read from the tallies the runs kept as they ended (kept_history), or replayed from the observations
the check cycle stores, each carrying the link's verdict after that check (ReplayedHistory): for one
article's report, and for runs from before the tallies were kept.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from archiver.report.model import RunVerdicts, ordered_counts

HISTORY_RUNS = 30  # bars in the verdicts-over-time chart: the newest runs that checked anything


class ReplayedHistory:
    """The verdict counts after each of `runs`, tallied a page of references at a time.

    A page's references count their verdict after each run once per citing article. Kept: one
    Counter per run.
    """

    def __init__(self, store, runs: list[dict]) -> None:
        self.store, self.runs = store, runs
        self.counts: dict[int, Counter] = {run["id"]: Counter() for run in runs}
        self.checked: Counter = Counter()

    def add(self, link_rows: list[dict]) -> None:
        """One page of articles' link rows (store.report_links): each reference's verdict after each run (the
        last check by then), once per citation."""
        citations = Counter(link["url"] for link in link_rows)
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
