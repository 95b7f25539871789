"""Waiting for something another thread or process does: poll with a deadline, never a bare sleep."""

from __future__ import annotations

import threading
import time
from typing import Callable

POLL_SECONDS = 0.05


def eventually(predicate: Callable[[], bool], timeout: float) -> bool:
    """True as soon as `predicate()` is; False once `timeout` seconds have passed without it."""
    deadline, pause = time.monotonic() + timeout, threading.Event()  # never set: a bounded pause between polls
    while time.monotonic() < deadline:
        if predicate():
            return True
        pause.wait(POLL_SECONDS)
    return predicate()
