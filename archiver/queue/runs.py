"""The scheduler's side of queue mode: runs whose URLs go to the broker (archiver.pipeline.queued_runs)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from archiver.pipeline import Pipeline, QueuedRuns
from archiver.queue.broker import make_broker
from archiver.queue.messages import Sender
from archiver.settings import Settings

RESEND_FLOOR = 30.0  # seconds without progress before pending URLs are sent again, at the least


@contextmanager
def queued_runs(pipeline: Pipeline, settings: Settings,
                on_progress: Callable[[int, int], None] = lambda done, queued: None) -> Iterator[QueuedRuns]:
    """QueuedRuns sending through this settings' broker; ConfigError (exit 3) unless the database is PostgreSQL."""
    broker = make_broker(settings.queue)
    try:
        yield QueuedRuns(pipeline, Sender(broker), timeout=settings.queue.run_timeout,
                         resend_after=max(RESEND_FLOOR, 2 * settings.queue.heartbeat_timeout), on_progress=on_progress)
    finally:
        broker.close()
