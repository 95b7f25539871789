"""Remembered hard failures: a host that does not resolve or refuses connections is tried once per check.

An article often cites one dead site many times. Asking the resolver or the
host again for every link within minutes tells us nothing new and costs the
host (or the resolver) a request each, so a DNS error or a refused connection
is kept per host for a while (config `fetch.failure_memory`) or until
`Fetcher.new_check()`, and later fetches to that host end at once with the
same failure, their detail saying it was remembered. Timeouts and resets are
not remembered: they are accidents, and the retry rules handle them.
"""

from __future__ import annotations

import threading

from archiver.errors import FetchError
from archiver.fetch.clock import SYSTEM_CLOCK, MonotonicClock
from archiver.fetch.dial import ConnectionRefused
from archiver.fetch.hosts import HostKey
from archiver.models import Observation

# Entries are swept when the table grows past this: a long-running daemon meets many dead hosts.
_SWEEP_AT = 4096


def is_hard_failure(error: FetchError) -> bool:
    """A failure that asking again within one check would only repeat."""
    return error.kind == Observation.DNS_ERROR.value or isinstance(error, ConnectionRefused)


class FailureMemory:
    """Hard failures per host, each kept for `ttl` seconds on `clock`; safe to share between threads."""

    def __init__(self, ttl: float, clock: MonotonicClock = SYSTEM_CLOCK):
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[HostKey, tuple[float, FetchError]] = {}

    def remember(self, key: HostKey, error: FetchError) -> None:
        if self.ttl <= 0 or not is_hard_failure(error):
            return
        now = self._clock.monotonic()
        with self._lock:
            if len(self._failures) >= _SWEEP_AT:
                self._failures = {k: v for k, v in self._failures.items() if v[0] > now}
            self._failures[key] = (now + self.ttl, error)

    def recall(self, key: HostKey) -> FetchError | None:
        """The failure remembered for `key`, as a new error whose detail says it was remembered."""
        with self._lock:
            entry = self._failures.get(key)
            if entry is None:
                return None
            expires_at, error = entry
            if expires_at <= self._clock.monotonic():
                del self._failures[key]
                return None
        detail = f"{error.detail} (remembered from an earlier attempt to {key}; not asked again)"
        if isinstance(error, ConnectionRefused):
            return ConnectionRefused(detail)
        return FetchError(error.kind, detail)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
