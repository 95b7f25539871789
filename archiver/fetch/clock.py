"""The monotonic clock politeness runs on, injected so tests can drive it (a fake clock never sleeps)."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class MonotonicClock(Protocol):
    """Seconds on a clock that never goes back (not the time of day); sleeping and waiting on that clock."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        """Wait on `condition` (its lock held) until notified or `seconds` have passed on this clock."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        condition.wait(seconds)


SYSTEM_CLOCK = SystemClock()
