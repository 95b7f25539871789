"""Text extraction on every core: extract() and the text signature in worker processes.

Parsing, trafilatura and hashing are pure CPU. On the fetch threads they take
turns on one core under the GIL, and with 16 fetches in flight that core, not
politeness, set the pace of a large check. A small process pool runs them
beside the fetches instead; the threads only wait for the answer.

The pool is started on first use (a run that extracts nothing starts none), from
a forkserver: forking the multi-threaded capturing process itself could copy a
lock some other thread holds. Workers ignore SIGINT and SIGTERM so that a
stopping daemon can still finish the pages in flight; they exit when the pool is
shut down or their parent dies. Should a worker die (a crash in a C parser on
hostile markup, the OOM killer), the page is extracted on the calling thread and
the next page gets a fresh pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace

from archiver.compare import text_signature
from archiver.extract import extract
from archiver.models import Extracted

log = logging.getLogger("archiver.pipeline")

# A worker is replaced after this many pages, so whatever a parser leaks over months stays bounded.
PAGES_PER_WORKER = 500


@dataclass(frozen=True)
class ExtractedPage:
    """A page's content and the signature its capture row stores (computed where the text is)."""

    extracted: Extracted
    text_hash: str
    text_fingerprint: int
    # The CPU it cost where it ran, and whether that was a worker (whose CPU no thread timer of ours sees).
    cpu_seconds: float = field(default=0.0, compare=False)
    in_worker: bool = field(default=False, compare=False)


def extract_page(body: bytes, url: str, charset: str | None, search_text_for_date: bool) -> ExtractedPage:
    """extract() and text_signature() of one page; runs in a worker process or on the calling thread."""
    started = time.thread_time()
    extracted = extract(body, url, content_type_charset=charset, search_text_for_date=search_text_for_date)
    text_hash, fingerprint = text_signature(extracted.text)
    return ExtractedPage(extracted, text_hash, fingerprint, cpu_seconds=time.thread_time() - started)


def _ignore_stop_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class PageExtractor:
    """extract_page() on `processes` worker processes (0: on the calling thread). Thread-safe."""

    def __init__(self, processes: int):
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, body: bytes, url: str, charset: str | None, search_text_for_date: bool) -> ExtractedPage:
        pool = self._running_pool()
        if pool is None:
            return extract_page(body, url, charset, search_text_for_date)
        try:
            page = pool.submit(extract_page, bytes(body), url, charset, search_text_for_date).result()
            return replace(page, in_worker=True)
        except BrokenProcessPool:
            log.warning("an extraction worker died on %s; extracting it here, and starting new workers", url)
            self._discard(pool)
        except RuntimeError:  # shut down under us (the run is closing): this page still gets its text
            pass
        return extract_page(body, url, charset, search_text_for_date)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _running_pool(self) -> ProcessPoolExecutor | None:
        if self.processes <= 0:
            return None
        with self._lock:
            if self._pool is None and not self._closed:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload([__name__])  # workers start with the parsers imported
                self._pool = ProcessPoolExecutor(self.processes, mp_context=context, initializer=_ignore_stop_signals,
                                                 max_tasks_per_child=PAGES_PER_WORKER)
            return self._pool

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)
