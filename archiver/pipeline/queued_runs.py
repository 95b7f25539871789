"""Queue mode's runs: the one scheduler (daemon, run, check, archive) queues the URLs; workers capture them.

A queued run is a run row like any other, beaten by the process that queued it. Its
articles are queued first (one message per URL, `send`), articles' references by the
workers as each article is extracted (queued_work.py), and a check's due references
after its articles. The run is finished when every URL queued in it is done: this
process watches the database (the workers' commits), not the broker, so a broker
restart loses no count. Queue mode needs PostgreSQL: workers on other machines share
its rows; SQLite is refused before anything is queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from archiver.errors import ArchiverError, ConfigError
from archiver.models import Article
from archiver.pipeline.cycle import Pipeline
from archiver.pipeline.memento_lookups import find_public_copies
from archiver.pipeline.queued_work import ARTICLE, ARTICLE_ONLY, REFERENCE
from archiver.pipeline.summary import RunScope
from archiver.store import QueueItem, Store
from archiver.urls import normalize_url

log = logging.getLogger("archiver.pipeline")

POLL_SECONDS = 0.5  # how often the queuing process reads the run's progress
Send = Callable[[list[QueueItem]], None]  # one message per item, in order (archiver.queue.messages)


def require_shared_database(store: Store) -> None:
    """ConfigError (exit 3) unless the database is one every machine can reach: PostgreSQL."""
    if store.backend != "postgresql":
        raise ConfigError("queue.enabled", "true",
                          f"PostgreSQL in storage.database: queue mode's workers on other machines share the "
                          f"database, and {store.url} is SQLite, which only this machine can open")


class RunNotFinished(ArchiverError):
    """The workers did not finish the run within queue.run_timeout."""


@dataclass(frozen=True)
class QueuedRun:
    run_id: int
    kind: str
    queued: int
    done: int
    counts: dict


class QueuedRuns:
    """Queues the runs `pipeline` would run itself, and waits for the workers to finish each."""

    def __init__(self, pipeline: Pipeline, send: Send, *, timeout: float, resend_after: float,
                 poll: float = POLL_SECONDS, on_progress: Callable[[int, int], None] = lambda done, queued: None):
        require_shared_database(pipeline.store)
        self.pipeline, self.store, self.send = pipeline, pipeline.store, send
        self.timeout, self.poll, self.on_progress = timeout, poll, on_progress
        # No URL done for this long: the URLs still pending are sent again. A message the broker lost (a
        # Redis without persistence restarted, a message dead-lettered after its retries) is so replaced;
        # a copy of one still queued is harmless, as the first delivery to finish marks the URL done.
        self.resend_after = resend_after

    def archive(self, articles: Iterable[Article], kind: str = "archive") -> QueuedRun:
        """Register `articles` and queue them (their references follow as workers extract them)."""
        with RunScope(self.pipeline, kind) as (run_id, totals, _):
            now = self.pipeline.clock()
            items = [QueueItem(run_id, article.url, ARTICLE, self.store.add_article(article, now)[0])
                     for article in articles]
            self._queue(items)
            return self._finish(run_id, kind, totals)

    def check(self, *, include_not_due: bool = False, article_url: str | None = None) -> QueuedRun:
        """Queue the articles and references due (or all, or one article's), articles first."""
        now = self.pipeline.clock()
        article_id = None
        if article_url is not None:
            article_id = self.store.get_article_id(normalize_url(article_url))
            if article_id is None:
                raise LookupError(f"no registered article {article_url}")
        with RunScope(self.pipeline, "check") as (run_id, totals, _):
            ids = ([article_id] if article_id is not None
                   else self.store.due_article_ids(now, include_not_due=include_not_due))
            self._queue([QueueItem(run_id, article.url, ARTICLE_ONLY, aid)
                         for aid, article in self.store.articles_by_id(ids).items()])
            for batch in self.store.due_link_batches(now, article_id=article_id,
                                                     include_not_due=include_not_due or article_id is not None):
                self._queue([QueueItem(run_id, url, REFERENCE, None) for url in batch])
            return self._finish(run_id, "check", totals)

    def _queue(self, items: list[QueueItem]) -> None:
        self.send(self.store.queue_items(items, self.pipeline.clock()))

    def _finish(self, run_id: int, kind: str, totals) -> QueuedRun:
        queued, done = self._wait(run_id)
        counts = self.store.observation_counts(run_id)
        totals.update({"queued": queued, "done": done, **{f"observed_{k}": v for k, v in counts.items()}})
        totals.update(find_public_copies(self.store, self.pipeline.capturer.fetcher, self.pipeline.settings.memento,
                                         self.pipeline.clock, self.pipeline.should_stop))
        return QueuedRun(run_id, kind, queued, done, dict(totals))

    def _wait(self, run_id: int) -> tuple[int, int]:
        """Until every URL of the run is done (or a stop is asked); RunNotFinished after the timeout."""
        deadline, pause = time.monotonic() + self.timeout, threading.Event()
        last_done, progressed_at = -1, time.monotonic()
        while True:
            progress = self.store.run_progress(run_id)
            queued, done = (progress[0].queued, progress[0].done) if progress else (0, 0)
            self.on_progress(done, queued)
            if done >= queued or self.pipeline.should_stop():
                return queued, done
            if done != last_done:
                last_done, progressed_at = done, time.monotonic()
            elif time.monotonic() - progressed_at >= self.resend_after:
                pending = self.store.pending_items(run_id)
                log.warning("run %s: no URL done for %.0fs; sending the %d pending again", run_id,
                            self.resend_after, len(pending))
                self.send(pending)
                progressed_at = time.monotonic()
            if time.monotonic() >= deadline:
                raise RunNotFinished(f"run {run_id}: {done} of {queued} URLs done after {self.timeout:.0f}s "
                                     f"(queue.run_timeout); are workers running? (archiver status)")
            pause.wait(self.poll)
