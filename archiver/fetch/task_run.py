"""A cycle's worker threads, fed by the frontier: work starts only when its host may take a request.

    with TaskRun(fetcher.frontier, work, threads=32) as run:
        run.put(url, item)                     # queued in url's host queue: holds no thread
        for item, result, error in run.results():   # on this thread, as each finishes
            run.put(another_url, another_item)  # more may be queued while taking results

The caller's thread alone queues items and takes results (it writes the
database); workers only run `work(item)`. results() ends when nothing is
queued or running. stop() drops what has not started.

A worker starts an item only while fewer than `threads` results are running or
waiting to be taken: when the caller's thread is slower than the network (a
busy database, 100 hosts ready at once), work waits in the frontier as a small
task rather than as finished results holding whole pages.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from archiver.errors import FetchError
from archiver.fetch.frontier import Frontier, Task
from archiver.fetch.hosts import NO_HOST, HostKey, host_key
from archiver.fetch.redirects import fetchable_url

T = TypeVar("T")
R = TypeVar("R")
JOIN_TIMEOUT = 600.0  # a bound on waiting for a worker after close(): each of its requests has its own deadline


def request_host(url: str) -> HostKey:
    """The host the Fetcher's first request for `url` goes to; NO_HOST when it makes none (an invalid URL)."""
    try:
        key = host_key(fetchable_url(url))
    except (FetchError, ValueError):
        return NO_HOST
    return key if key.host else NO_HOST


class TaskRun(Generic[T, R]):
    """Runs `work(item)` on `threads` worker threads, each item once its URL's host may start a request."""

    def __init__(self, frontier: Frontier, work: Callable[[T], R], threads: int):
        self._frontier = frontier
        self._work = work
        self._finished: queue.SimpleQueue[tuple[T, R | None, BaseException | None]] = queue.SimpleQueue()
        self._outstanding = 0  # queued or running and not yet taken by results(): the caller's thread only
        self._closing = False
        self._room = threading.Semaphore(max(1, threads))  # one per result running or not yet taken
        self._workers = [threading.Thread(target=self._serve, name=f"fetch-{n}", daemon=True)
                         for n in range(max(1, threads))]
        for worker in self._workers:
            worker.start()

    def put(self, url: str, item: T, *, not_before: float = 0.0) -> None:
        self._outstanding += 1
        self._frontier.put_task(Task(request_host(url), item, self, not_before))

    def results(self) -> Iterator[tuple[T, R | None, BaseException | None]]:
        """(item, result, None) or (item, None, the exception) as each item finishes."""
        while self._outstanding:
            finished = self._finished.get()
            self._outstanding -= 1
            self._room.release()
            yield finished

    def stop(self) -> None:
        """Drop the items not started yet; results() still yields the running ones."""
        self._outstanding -= self._frontier.drop_tasks(self)

    def close(self) -> None:
        self.stop()
        self._closing = True
        for _ in self._workers:  # a worker waiting for room wakes, finds the run closing and ends
            self._room.release()
        self._frontier.wake_workers()
        for worker in self._workers:
            worker.join(JOIN_TIMEOUT)

    def __enter__(self) -> TaskRun[T, R]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _serve(self) -> None:
        while True:
            self._room.acquire()
            task = self._frontier.next_task(self, lambda: self._closing)
            if task is None:
                return
            try:
                result, error = self._work(task.item), None  # type: ignore[arg-type]
            except BaseException as exc:  # noqa: BLE001 -- handed to the caller's thread, which decides
                result, error = None, exc
            finally:
                self._frontier.task_done(task)
            self._finished.put((task.item, result, error))  # type: ignore[arg-type]
