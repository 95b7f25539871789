"""Queue mode on the command line: `archiver worker`, `--queue` on run/check/archive, and what `status` adds.

archiver.queue (dramatiq, redis) and boto3 are the optional queue extra: imported only here,
only when queue mode is asked for, so every other command works without them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click
from rich.console import Console

from archiver.errors import ConfigError
from archiver.models import Article
from archiver.pipeline.storage import open_store
from archiver.settings import Settings
from archiver.store import Store

if TYPE_CHECKING:
    from archiver.pipeline import QueuedRun, QueuedRuns

LIVE_WITHIN = timedelta(seconds=30)  # a worker whose heartbeat is older is not counted as live


def queue_mode(settings: Settings, flag: bool) -> bool:
    return flag or settings.queue.enabled


def _queue_room():
    try:
        import archiver.queue as room
    except ImportError as exc:
        raise ConfigError("queue.enabled", "true", f"Dramatiq and redis installed: pip install 'archiver[queue]' "
                          f"({exc})") from None
    return room


def _print_run(console: Console, run: QueuedRun) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()) if k.startswith("observed_"))
    console.print(f"run #{run.run_id} ({run.kind}): {run.done} of {run.queued} URL(s) captured by the workers"
                  f"{': ' + counts if counts else ''}", soft_wrap=True)


def _queued(settings: Settings, console: Console, work: Callable[[QueuedRuns], Iterable[QueuedRun]]) -> None:
    from archiver.pipeline import open_pipeline  # the capture machinery, loaded by the commands that capture

    room = _queue_room()
    with open_pipeline(settings) as pipeline, room.queued_runs(pipeline, settings) as queued:
        for run in work(queued):
            _print_run(console, run)


def archive_queued(settings: Settings, console: Console, articles: list[Article]) -> None:
    _queued(settings, console, lambda queued: [queued.archive(articles, "archive")])


def check_queued(settings: Settings, console: Console, include_not_due: bool, article_url: str | None) -> None:
    try:
        _queued(settings, console, lambda queued: [queued.check(include_not_due=include_not_due,
                                                                article_url=article_url)])
    except LookupError as exc:
        raise click.UsageError(str(exc)) from None


def run_queued(settings: Settings, console: Console) -> None:
    """A full cycle in queue mode: sources registered, new articles then due links queued, reports written."""
    from archiver.pipeline import register_configured_sources

    def cycle(queued: QueuedRuns) -> Iterable[QueuedRun]:
        register_configured_sources(settings, queued.store)
        yield queued.archive(queued.store.never_checked_articles(), "run")
        yield queued.check()

    _queued(settings, console, cycle)


def from_bucket(settings: Settings) -> None:
    """With storage.warc_store, bring the bucket's WARCs and indexes missing here into the data dir (the
    local cache lookup, export and replay read)."""
    if settings.storage.warc_store:
        from archiver.pipeline import fill_local_cache  # boto3 and the shipper, only with a bucket

        with open_store(settings) as store:
            fill_local_cache(settings.storage, store)


def print_queue_status(console: Console, settings: Settings, store: Store) -> None:
    """Queue depth (queue mode only), live workers and the queued runs in progress."""
    if settings.queue.enabled:
        depth = _queue_room().queue_depth(settings.queue)
        if depth.error:
            console.print(f"queue: {depth.error}", soft_wrap=True)
        else:
            console.print(f"queue: {depth.waiting} waiting, {depth.retrying} retrying, {depth.dead} dead-lettered "
                          f"({settings.queue.broker_url}, namespace {settings.queue.namespace})", soft_wrap=True)
    workers = store.workers_seen_since(datetime.now(UTC) - LIVE_WITHIN)
    if settings.queue.enabled or workers:
        console.print(f"workers: {len(workers)} live, {sum(w.threads for w in workers)} thread(s)", soft_wrap=True)
        for worker in workers:
            console.print(f"  {worker.name}: {worker.threads} thread(s), {worker.processed} message(s), "
                          f"last seen {worker.heartbeat_at:%H:%M:%S} UTC", soft_wrap=True)
    for run in store.run_progress():
        console.print(f"run #{run.run_id} ({run.kind}) in progress since {run.started_at:%Y-%m-%d %H:%M} UTC: "
                      f"{run.done} of {run.queued} URL(s) done", soft_wrap=True)


def worker_command(settings_of: Callable[[click.Context], Settings]) -> click.Command:
    @click.command(name="worker")
    @click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 256),
                  help="Worker processes on this machine.")
    @click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 1024),
                  help="Threads per process, each handling one message at a time.")
    @click.pass_context
    def worker(ctx: click.Context, processes: int, threads: int) -> None:
        """Capture the URLs queued by run/check/archive --queue or the daemon, until SIGTERM or Ctrl-C.

        Run it on as many machines as you like, all with the same [queue] broker_url, [storage] database
        (PostgreSQL) and warc_store. Exit 3 on SQLite or a bad configuration.
        """
        settings = settings_of(ctx)
        room = _queue_room()
        with open_store(settings) as store:  # refused before any process starts
            from archiver.pipeline import require_shared_database

            require_shared_database(store)
        ctx.exit(room.run_workers(settings, processes, threads, ctx.find_root().obj["verbosity"]))

    return worker
