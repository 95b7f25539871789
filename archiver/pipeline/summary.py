"""What a cycle tells its caller: per-article summaries, what changed, and the run row around it."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from archiver.models import Observation
from archiver.pipeline.capture import UrlOutcome
from archiver.pipeline.check_results import Checked

log = logging.getLogger("archiver.pipeline")


@dataclass
class ArticleSummary:
    url: str
    article_id: int
    title: str | None = None
    captured: bool = False
    failure: str | None = None
    change: str | None = None  # the article's own content change against its baseline
    references: int = 0
    references_captured: int = 0
    failed_by_class: Counter = field(default_factory=Counter)

    def note_reference(self, outcome: UrlOutcome) -> None:
        failure = reference_failure(outcome)
        if failure is None:
            self.references_captured += 1
        else:
            self.failed_by_class[failure] += 1


@dataclass
class CheckSummary:
    """What one check changed: the news a user wants first."""

    checked: int = 0
    by_observation: Counter = field(default_factory=Counter)
    by_verdict: Counter = field(default_factory=Counter)
    newly_dead: list[str] = field(default_factory=list)
    newly_rotten: list[str] = field(default_factory=list)
    newly_drifted: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    articles_changed: list[str] = field(default_factory=list)

    def note(self, checked: Checked) -> None:
        self.checked += 1
        self.by_observation[checked.row.observation] += 1
        self.by_verdict[checked.verdict] += 1
        if checked.previous_verdict == checked.verdict:
            return
        lists = {"dead": self.newly_dead, "rotten": self.newly_rotten, "drifted": self.newly_drifted, "moved": self.moved}
        if checked.verdict in lists:
            lists[checked.verdict].append(checked.url)
        if checked.judgement.recovered:
            self.recovered.append(checked.url)

    def counts(self) -> dict[str, int]:
        return {"checked": self.checked, **{f"observed_{k}": v for k, v in self.by_observation.items()},
                **{f"verdict_{k}": v for k, v in self.by_verdict.items()}}


class RunScope:
    """A run row around a cycle: finished as ok, interrupted or failed with the error, whatever happens."""

    def __init__(self, pipeline, kind: str):
        self.pipeline, self.kind = pipeline, kind
        self.totals: Counter = Counter()
        self.checks = CheckSummary()

    def __enter__(self):
        self.run_id = self.pipeline.run_id = self.pipeline.store.start_run(self.kind, self.pipeline.clock())
        return self.run_id, self.totals, self.checks

    def __exit__(self, exc_type, exc, tb) -> None:
        status, error = ("ok", None) if exc is None else ("failed", f"{exc_type.__name__}: {exc}")
        if exc is None and self.pipeline.should_stop():
            status = "interrupted"  # stopped between URLs: what it did is stored, the rest waits
        self.pipeline.run_id = None
        counts = {**self.checks.counts(), **self.totals}
        self.pipeline.store.finish_run(self.run_id, status, counts, self.pipeline.clock(), error=error)
        log.info("run %s %s %s: %s", self.run_id, self.kind, status, counts)


def reference_failure(outcome: UrlOutcome) -> str | None:
    """The observation a reference failed with, for the summary; None when it answered healthily."""
    observation = outcome.classification.observation if outcome.classification else outcome.failure
    if observation in (Observation.OK, Observation.REDIRECTED):
        return None
    return str(observation)
