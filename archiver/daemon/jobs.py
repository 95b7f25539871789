"""What each scheduled job does: capture new articles, check what is due, write the reports.

Each job opens its own pipeline (store, fetcher, WARC recorder) and closes it
when done, so between runs the daemon holds no open WARC file and no fetcher,
and every run's WARCs are renamed as soon as it ends. Jobs take a JobContext:
the settings, the stop request, and the way to show the daemon a pipeline it
may have to close itself if the stop deadline passes.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, ContextManager, Iterator

from archiver.pipeline import (
    Pipeline,
    QueuedRuns,
    open_pipeline,
    open_store,
    register_configured_sources,
    thumbnail_reader,
    utc_now,
)
from archiver.report import write_cycle_reports
from archiver.settings import Settings

log = logging.getLogger("archiver.daemon")


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    should_stop: Callable[[], bool]
    track: Callable[[Pipeline], ContextManager[None]]  # while inside, the daemon knows this pipeline is running

    @contextmanager
    def pipeline(self) -> Iterator[Pipeline]:
        with open_pipeline(self.settings, should_stop=self.should_stop) as pipeline, self.track(pipeline):
            yield pipeline

    @contextmanager
    def cycles(self) -> Iterator[Pipeline | QueuedRuns]:
        """Who runs a cycle: the pipeline itself, or, in queue mode, the workers (the daemon queues and waits)."""
        with self.pipeline() as pipeline:
            if not self.settings.queue.enabled:
                yield pipeline
                return
            from archiver.queue import queued_runs  # only in queue mode: dramatiq is the optional queue extra

            with queued_runs(pipeline, self.settings) as queued:
                yield queued


def capture(context: JobContext) -> None:
    """Register what the sources list now (files, feeds, sitemaps); capture every article never captured.

    The store registers an article once per normalised URL, and only never-checked
    articles are captured, so an entry that stays in a feed is captured exactly once.
    """
    with context.cycles() as cycles:
        store = cycles.store
        listed, created = register_configured_sources(context.settings, store)
        new = store.never_checked_articles()
        log.info("capture: %d article(s) in the sources, %d newly registered, %d to capture", listed, created, len(new))
        cycles.archive(new, "capture")


def check(context: JobContext) -> None:
    """Re-capture the articles and re-check the links that are due."""
    with context.cycles() as cycles:
        cycles.check()


def report(context: JobContext) -> None:
    """Write the cycle reports (HTML and JSON, plus latest.*) under <data_dir>/reports/."""
    if context.should_stop():
        return
    with open_store(context.settings) as store:
        written = write_cycle_reports(store, context.settings, utc_now(), thumbnail_reader(context.settings))  # {format: file}
    log.info("report: wrote %s", ", ".join(path.name for path in written.values()))


JOBS: dict[str, Callable[[JobContext], None]] = {"capture": capture, "check": check, "report": report}
