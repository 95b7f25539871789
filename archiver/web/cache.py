"""Aggregates over the whole archive (verdict counts, the history chart, hosts), computed once per data version.

Everything else a page shows is one indexed screenful; these are the reads that grow with the archive.
A new check, capture, link, run or override changes store.data_version(), and the next page computes
them again. One lock: two pages arriving together compute each aggregate once.
"""

from __future__ import annotations

import threading
from typing import Any, Callable


class AggregateCache:
    def __init__(self, version: Callable[[], tuple]):
        self._version = version
        self._lock = threading.Lock()
        self._values: dict[str, tuple[tuple, Any]] = {}

    def get(self, name: str, compute: Callable[[], Any]) -> Any:
        version = self._version()
        with self._lock:
            cached = self._values.get(name)
            if cached is not None and cached[0] == version:
                return cached[1]
            value = compute()
            self._values[name] = (version, value)
            return value

    def clear(self) -> None:
        """Forget every aggregate (the benchmark measures their cold cost with it)."""
        with self._lock:
            self._values.clear()
