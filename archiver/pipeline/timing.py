"""CPU time per pipeline stage, for benchmarks: off unless a StageTimes is handed to the Pipeline.

    times = StageTimes()
    with open_pipeline(settings, stage_times=times) as pipeline: ...
    times.cpu_seconds["fetch"], times.calls["fetch"]

Each stage is timed with time.thread_time() on the thread that runs it, so
worker threads waiting on the network or on each other count nothing: the
numbers are the CPU a stage costs, not its wall time. When timing is off the
pipeline enters one shared no-op context per stage, nothing more.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

STAGES = ("fetch", "record", "extract", "classify", "store")

StageTimer = Callable[[str], AbstractContextManager]

_UNTIMED = nullcontext()


class StageTimes:
    """CPU seconds and entries per stage, summed over all threads; thread-safe."""

    def __init__(self) -> None:
        self.cpu_seconds: Counter = Counter()
        self.calls: Counter = Counter()
        self._lock = threading.Lock()

    def add(self, name: str, cpu_seconds: float) -> None:
        """CPU a stage spent where no thread timer of ours runs (an extraction worker process)."""
        with self._lock:
            self.cpu_seconds[name] += cpu_seconds

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.thread_time()
        try:
            yield
        finally:
            spent = time.thread_time() - started
            with self._lock:
                self.cpu_seconds[name] += spent
                self.calls[name] += 1


def stage_timer(times: StageTimes | None) -> StageTimer:
    """`times.stage`, or a timer that costs nothing when timing is off."""
    if times is None:
        return lambda name: _UNTIMED
    return times.stage
