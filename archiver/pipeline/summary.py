"""What a cycle tells its caller: per-article summaries, what changed, and the run row around it."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from archiver.errors import StoreError
from archiver.models import Observation
from archiver.pipeline.capture import UrlOutcome
from archiver.pipeline.check_results import Checked
from archiver.store import HEARTBEAT_INTERVAL

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
    # Checked references split two ways. Captured: a response of any status (a 404 too) is in the
    # WARCs; unanswered: none (DNS, refused, timeout, not http(s)). `status` counts the same way.
    references_captured: int = 0
    references_unanswered: int = 0
    failed_by_class: Counter = field(default_factory=Counter)  # the references not answering healthily

    def note_reference(self, outcome: UrlOutcome) -> None:
        if any(capture.http_status is not None for capture in outcome.captures):
            self.references_captured += 1
        else:
            self.references_unanswered += 1
        failure = reference_failure(outcome)
        if failure is not None:
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
    """A run row around a cycle: finished as ok, interrupted or failed with the error, whatever happens.

    While the cycle works, a heartbeat thread tells the row every store.runs.HEARTBEAT_INTERVAL
    that its process is alive, so a later start can tell a run still at work from one whose
    process died (SIGKILL, power cut) and mark only the latter interrupted.
    """

    def __init__(self, pipeline, kind: str):
        self.pipeline, self.kind = pipeline, kind
        self.totals: Counter = Counter()
        self.checks = CheckSummary()
        self._heartbeat: Heartbeat | None = None

    def __enter__(self):
        store, clock = self.pipeline.store, self.pipeline.clock
        self.run_id = self.pipeline.run_id = run_id = store.start_run(self.kind, clock())
        self._heartbeat = Heartbeat(lambda: store.beat_run(run_id, clock()), HEARTBEAT_INTERVAL.total_seconds())
        return self.run_id, self.totals, self.checks

    def __exit__(self, exc_type, exc, tb) -> None:
        self._heartbeat.stop()
        status, error = ("ok", None) if exc is None else ("failed", f"{exc_type.__name__}: {exc}")
        if exc is None and self.pipeline.should_stop():
            status = "interrupted"  # stopped between URLs: what it did is stored, the rest waits
        self.pipeline.run_id = None
        counts = {**self.checks.counts(), **self.totals}
        try:
            self.pipeline.store.finish_run(self.run_id, status, counts, self.pipeline.clock(), error=error)
        except StoreError as finishing:
            if exc is None:
                raise
            # The cause (a full disk, say) stops the run, not this echo of it; the next start marks the row.
            log.warning("run %s %s stays running in the database: %s", self.run_id, self.kind, finishing)
            return
        log.info("run %s %s %s: %s", self.run_id, self.kind, status, counts)
        self.pipeline.store.refresh_statistics()  # the planner's picture of the grown tables (milliseconds)


class Heartbeat:
    """Calls `beat()` every `seconds` on a thread of its own until stop(); a failing beat is logged, not fatal."""

    def __init__(self, beat: Callable[[], None], seconds: float):
        self._beat, self._seconds = beat, seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="run-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self._seconds):
            try:
                self._beat()
            except StoreError as exc:  # a busy or full database: the next beat tries again
                log.warning("cannot record the run's heartbeat: %s", exc)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()


def reference_failure(outcome: UrlOutcome) -> str | None:
    """The observation a reference failed with, for the summary; None when it answered healthily."""
    observation = outcome.classification.observation if outcome.classification else outcome.failure
    if observation in (Observation.OK, Observation.REDIRECTED):
        return None
    return str(observation)
