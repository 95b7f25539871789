"""`archiver worker [--processes N] [--threads M]`: consume capture messages until SIGTERM or Ctrl-C.

Each process has its own broker connection, Fetcher (politeness shared through Redis),
WARC recorder (its own files: names carry host and pid) and database connections, and
runs a Dramatiq Worker with M threads. With N > 1 the command starts N such processes
and waits for them, passing SIGTERM/SIGINT on; one process runs in the command itself.

Beside the threads, a timer, every BEAT seconds: beats the broker's heartbeat (so a busy
worker's messages are not redelivered), records the process in queue_workers (for
`status`), and closes the WARC of a process idle for queue.idle_close, so it is indexed
and, with storage.warc_store, shipped. On stop, messages in hand are finished and the
ones fetched but not started go back on the queue; then the WARC is closed and shipped.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from datetime import UTC, datetime

import dramatiq

from archiver.errors import StoreError
from archiver.pipeline import open_queued_work
from archiver.queue.broker import beat_heartbeat, make_broker
from archiver.queue.messages import Activity, Sender, declare_actor
from archiver.queue.shared_hosts import RedisSharedHosts
from archiver.settings import Settings
from archiver.store import this_host

log = logging.getLogger("archiver.queue")

BEAT = 2.0  # seconds between a worker's heartbeats and idle checks


def serve(settings: Settings, threads: int, stop: threading.Event, on_ready=lambda name: None) -> int:
    """One worker process: handle messages with `threads` threads until `stop` is set; return messages handled."""
    name = f"{this_host()}:{os.getpid()}"
    broker = make_broker(settings.queue)
    shared = RedisSharedHosts(broker, settings.fetch.per_host_concurrency,
                              lease_seconds=settings.queue.heartbeat_timeout)
    activity = Activity()
    try:
        with open_queued_work(settings, shared, name) as work:
            declare_actor(broker, work, Sender(broker), activity)
            worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=500)
            # One message in hand per thread (Dramatiq's default fetches twice that): the rest stay on the
            # queue for other workers, and a killed worker has fewer messages to redeliver.
            worker.queue_prefetch = threads
            worker.start()
            log.info("worker %s: %d thread(s) on %s (namespace %s)", name, threads, settings.queue.broker_url,
                     settings.queue.namespace)
            on_ready(name)
            try:
                while not stop.wait(BEAT):
                    _beat(settings, broker, work, name, threads, activity)
            finally:
                worker.stop(timeout=int(settings.schedule.stop_timeout * 1000))
                work.store.forget_worker(name)
    finally:
        shared.close()
        broker.close()
    log.info("worker %s stopped after %d message(s)", name, activity.processed)
    return activity.processed


def _beat(settings: Settings, broker, work, name: str, threads: int, activity: Activity) -> None:
    try:
        beat_heartbeat(broker)
    except Exception as exc:  # noqa: BLE001 -- Redis away: Dramatiq's own calls wait for it; beat again later
        log.warning("worker %s: cannot beat the broker's heartbeat: %s", name, exc)
    try:
        work.store.beat_worker(name, this_host(), os.getpid(), threads, activity.processed, datetime.now(UTC))
    except StoreError as exc:
        log.warning("worker %s: cannot record its heartbeat: %s", name, exc)
    if activity.idle_for() >= settings.queue.idle_close and work.capturer.recorder.current_file is not None:
        work.capturer.recorder.close()  # indexed (and shipped) by the recorder's on_published


def _serve_until_signalled(settings: Settings, threads: int) -> int:
    stop = threading.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in signals}
    try:
        return serve(settings, threads, stop)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _child(settings: Settings, threads: int, verbosity: int) -> None:
    from archiver.logs import configure_logging  # the parent's handlers are not inherited by a spawned child

    configure_logging(settings.storage.data_dir / "logs", verbosity, file_name=f"worker-{os.getpid()}.log")
    _serve_until_signalled(settings, threads)


def run_workers(settings: Settings, processes: int, threads: int, verbosity: int = 0) -> int:
    """Run `processes` worker processes of `threads` threads until a signal; 0, or 1 when a process failed."""
    if processes <= 1:
        _serve_until_signalled(settings, threads)
        return 0
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or sockets inherited
    children = [context.Process(target=_child, args=(settings, threads, verbosity), name=f"worker-{n}")
                for n in range(processes)]
    for child in children:
        child.start()

    def pass_on(number, _frame) -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                os.kill(child.pid, number)

    previous = {number: signal.signal(number, pass_on) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        for child in children:
            child.join()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    failed = [child for child in children if child.exitcode not in (0, -signal.SIGTERM, -signal.SIGINT)]
    for child in failed:
        log.error("worker process %s ended with exit code %s", child.pid, child.exitcode)
    return 1 if failed else 0
