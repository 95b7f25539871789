"""Aggregates over the whole archive (verdict counts, hosts): computed in the background, never by a page.

Everything else a page shows is one indexed screenful; these are the reads that grow with the archive
(a second or more at a million links). A page takes the last value computed (or None before the first)
with the time it was computed, and, when store.data_version() has moved on since, starts a recount in a
background thread. While a check run writes, the version moves every second: a recount starts at most
once per `min_interval` seconds, and never sooner than ten times the last recount's duration after it.

`background=False` computes on the spot when the version changed (tests, and the benchmark's cold time).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

log = logging.getLogger("archiver.web")


@dataclass
class _Entry:
    version: tuple | None = None
    value: Any = None
    computed_at: datetime | None = None
    started: float = float("-inf")  # monotonic time the last recount started
    cost: float = 0.0  # seconds the last recount took
    running: bool = False


class AggregateCache:
    def __init__(self, version: Callable[[], tuple], *, background: bool = True, min_interval: float = 30.0):
        self._version = version
        self._background = background
        self._min_interval = min_interval
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def get(self, name: str, compute: Callable[[], Any]) -> tuple[Any, datetime | None]:
        """(the latest value or None, when it was computed)."""
        version = self._version()
        with self._lock:
            entry = self._entries.setdefault(name, _Entry())
            if entry.version == version:
                return entry.value, entry.computed_at
            if self._background:
                wait = max(self._min_interval, 10 * entry.cost) if entry.computed_at else 0.0
                if not entry.running and time.monotonic() - entry.started >= wait:
                    entry.running, entry.started = True, time.monotonic()
                    threading.Thread(target=self._recount, args=(entry, version, compute), daemon=True,
                                     name=f"archiver-web-count-{name}").start()
                return entry.value, entry.computed_at
            entry.started = time.monotonic()
            self._store(entry, version, compute())
            return entry.value, entry.computed_at

    def clear(self) -> None:
        """Forget every aggregate (the benchmark measures their cold cost with it)."""
        with self._lock:
            self._entries.clear()

    def _recount(self, entry: _Entry, version: tuple, compute: Callable[[], Any]) -> None:
        try:
            value = compute()
        except Exception:  # the page keeps the last value; the next request after min_interval tries again
            log.exception("recounting an aggregate failed")
            with self._lock:
                entry.running = False
            return
        with self._lock:
            entry.running = False
            self._store(entry, version, value)

    def _store(self, entry: _Entry, version: tuple, value: Any) -> None:
        entry.version, entry.value = version, value
        entry.computed_at = datetime.now(timezone.utc)
        entry.cost = time.monotonic() - entry.started
