"""Text extraction on every core: extract() and the text signature in worker processes.

Parsing, trafilatura and hashing are pure CPU. On the fetch threads they take
turns on one core under the GIL, and with 16 fetches in flight that core, not
politeness, set the pace of a large check. A small process pool runs them
beside the fetches instead; the threads only wait for the answer.

Starting workers costs about half a second of CPU, so a run's first pages are
extracted on the calling threads and the pool starts only once a run has more
(`archiver archive URL` with a handful of references never starts one). It
starts from a forkserver: forking the multi-threaded capturing process itself
could copy a lock some other thread holds. Workers ignore SIGINT and SIGTERM so
that a stopping daemon can still finish the pages in flight; they exit when the
pool is shut down, and on their own when the capturing process is gone (killed,
crashed): each holds the read end of a pipe only that process writes to, and
exits at its end of file.
Should a worker die (a crash in a C parser on hostile markup, the OOM killer),
the page is extracted on the calling thread and the next page gets a fresh pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime
from multiprocessing.connection import Connection

from archiver.extract import extract
from archiver.judge.compare import text_signature
from archiver.models import Extracted

log = logging.getLogger("archiver.pipeline")

# The pool is replaced after this many pages per worker, so whatever a parser leaks over months stays
# bounded. Not max_tasks_per_child: on Python 3.11 to 3.13 a worker leaving at that limit while tasks are
# queued is never replaced, and every page after it waits forever (CPython gh-115634).
PAGES_PER_WORKER = 500
# A page whose extraction has not come back after this long is extracted here instead, on a new pool.
EXTRACTION_TIMEOUT = 300.0
# Pages extracted on the calling threads before the pool starts: below this, starting it costs more than it saves.
PAGES_BEFORE_POOL = 32


@dataclass(frozen=True)
class ExtractedPage:
    """A page's content and the signature its capture row stores (computed where the text is)."""

    extracted: Extracted
    text_hash: str
    text_fingerprint: int
    # The CPU it cost where it ran, and whether that was a worker (whose CPU no thread timer of ours sees).
    cpu_seconds: float = field(default=0.0, compare=False)
    in_worker: bool = field(default=False, compare=False)


def extract_page(body: bytes, url: str, charset: str | None, search_text_for_date: bool,
                 captured_at: datetime | None = None) -> ExtractedPage:
    """extract() and text_signature() of one page; runs in a worker process or on the calling thread.

    `captured_at`: when the page was fetched (its WARC-Date). No publication date after it is plausible;
    a rebuild of old WARCs must bound dates by the capture, not by the day it runs.
    """
    started = time.thread_time()
    extracted = extract(body, url, content_type_charset=charset, search_text_for_date=search_text_for_date,
                        captured_at=captured_at)
    text_hash, fingerprint = text_signature(extracted.text)
    return ExtractedPage(extracted, text_hash, fingerprint, cpu_seconds=time.thread_time() - started)


def _start_worker(capturer_alive: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(capturer_alive,), name="orphan-watch", daemon=True).start()


def _exit_when_orphaned(capturer_alive: Connection) -> None:
    # A worker blocks on its task queue, whose write end it holds itself, and its parent is the
    # forkserver, which lives as long as its children: the capturing process dying reaches it
    # only through this pipe, whose write end nobody else holds. Nothing is ever sent on it.
    try:
        capturer_alive.recv_bytes()
    except EOFError:
        pass
    os._exit(0)


class PageExtractor:
    """extract_page() on `processes` worker processes (0: on the calling thread). Thread-safe."""

    def __init__(self, processes: int, *, pages_before_pool: int = PAGES_BEFORE_POOL,
                 pages_per_worker: int = PAGES_PER_WORKER):
        self.processes = processes
        self.pages_before_pool = pages_before_pool
        self.pages_per_pool = max(1, pages_per_worker * processes)
        self._pages = 0
        self._pool_pages = 0  # pages handed to the current pool
        self._pool: ProcessPoolExecutor | None = None
        self._retired: list[ProcessPoolExecutor] = []  # replaced pools finishing the pages they were given
        self._lifeline: tuple[Connection, Connection] | None = None  # the workers' pipe (see _exit_when_orphaned)
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, body: bytes, url: str, charset: str | None, search_text_for_date: bool,
                 captured_at: datetime | None = None) -> ExtractedPage:
        pool = self._running_pool()
        if pool is None:
            return extract_page(body, url, charset, search_text_for_date, captured_at)
        try:
            future = pool.submit(extract_page, bytes(body), url, charset, search_text_for_date, captured_at)
            return replace(future.result(timeout=EXTRACTION_TIMEOUT), in_worker=True)
        except BrokenProcessPool:
            log.warning("an extraction worker died on %s; extracting it here, and starting new workers", url)
            self._discard(pool)
        except TimeoutError:
            log.warning("no extraction of %s after %.0fs; extracting it here, and starting new workers",
                        url, EXTRACTION_TIMEOUT)
            self._discard(pool)
        except RuntimeError:  # shut down under us (the run is closing): this page still gets its text
            pass
        return extract_page(body, url, charset, search_text_for_date, captured_at)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
            lifeline, self._lifeline = self._lifeline, None
            retired, self._retired = self._retired, []
        for each in [*retired, pool]:
            if each is not None:
                each.shutdown(wait=True, cancel_futures=True)
        _close_both(lifeline)

    def _running_pool(self) -> ProcessPoolExecutor | None:
        if self.processes <= 0:
            return None
        with self._lock:
            self._pages += 1
            if self._closed or self._pages <= self.pages_before_pool:
                return self._pool
            if self._pool is not None and self._pool_pages >= self.pages_per_pool:
                self._retire_pool()
            if self._pool is None:
                self._start_pool()
            self._pool_pages += 1
            return self._pool

    def _start_pool(self) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])  # workers start with the parsers imported
        if self._lifeline is None:
            # Both ends stay open here while any pool lives: every pool's workers get their copy.
            self._lifeline = context.Pipe(duplex=False)
            log.info("extraction moves to %d worker processes after %d pages", self.processes, self.pages_before_pool)
        self._pool = ProcessPoolExecutor(self.processes, mp_context=context, initializer=_start_worker,
                                         initargs=(self._lifeline[0],))
        self._pool_pages = 0

    def _retire_pool(self) -> None:
        """Hand new pages to a new pool; the old one finishes its own, then its workers exit."""
        old, self._pool = self._pool, None
        old.shutdown(wait=False)  # no cancel: the pages it was given still come back
        self._retired = [pool for pool in self._retired if _busy(pool)] + [old]

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        lifeline = None
        with self._lock:
            if self._pool is broken:
                self._pool = None
                lifeline, self._lifeline = self._lifeline, None
        broken.shutdown(wait=False, cancel_futures=True)
        _close_both(lifeline)  # any worker still alive in the broken pool exits at its end of file


def _busy(pool: ProcessPoolExecutor) -> bool:
    """Whether a retired pool still has workers (its last pages under way)."""
    return bool(getattr(pool, "_processes", None))


def _close_both(lifeline: tuple[Connection, Connection] | None) -> None:
    for end in lifeline or ():
        end.close()
