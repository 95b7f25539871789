"""Per-host pacing: how many requests may be in flight to one host, and how far apart they start.

Every request the Fetcher sends (each redirect hop, each robots.txt fetch)
first takes a slot for its host from the HostScheduler, and holds it until
its body is read. A host gets at most `concurrency` slots at once, and one
request's start waits until `delay` has passed since the previous start to
that host. The delay is the largest of per_host_delay, the host's robots.txt
Crawl-delay and its back-off after 429/503 answers (backoff.py). A host that
has never answered gets one slot only: a dead host then costs one connection
attempt, not one per waiting thread. The global limit is the caller's thread
pool; nothing here limits different hosts against each other.

Waiting is a Condition (for a free slot) and a sleep for exactly the time
left (for the delay), never a polling loop. Only one thread per host waits
out the delay at a time, so starts are spaced by the delay as they actually
happen, whatever the thread scheduler does. The clock and sleep are injected
(MonotonicClock) so tests can check the order and spacing of starts on a fake clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from archiver.fetch.backoff import next_backoff

DEFAULT_PORTS = {"http": 80, "https": 443}
_SWEEP_EVERY = 1024  # releases between sweeps of idle hosts, so a daemon's table does not grow forever


class MonotonicClock(Protocol):
    """Seconds on a clock that never goes back (not the time of day), and a sleep on that clock."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True)
class HostKey:
    """One host as politeness sees it: the lower-case name (no trailing dot) and the port."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def host_key(url: str) -> HostKey:
    parts = urlsplit(url)
    return HostKey((parts.hostname or "").rstrip("."), parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0))


@dataclass(frozen=True)
class HostPace:
    """A snapshot of one host's politeness state (for logs and tests)."""

    in_flight: int
    delay: float  # the delay between starts that applies now
    backoff: float  # the part of it owed to 429/503 answers; 0.0 when none
    crawl_delay: float
    answered: bool
    last_start: float | None


class _Host:
    """One host's slots and pace; guarded by the scheduler's lock."""

    def __init__(self, lock: threading.Lock):
        self.turn = threading.Condition(lock)  # notified whenever a slot or the start gate frees up
        self.in_flight = 0  # slots taken, including the one waiting at the start gate
        self.waiting = 0
        self.at_gate = False  # one thread is waiting out the delay before its start
        self.last_start: float | None = None
        self.answered = False
        self.crawl_delay = 0.0
        self.backoff = 0.0


class HostScheduler:
    """Hands out per-host request slots; safe to share between threads."""

    def __init__(
        self,
        concurrency: int,
        delay: float,
        *,
        max_backoff: float = 60.0,
        clock: MonotonicClock = SYSTEM_CLOCK,
        on_start: Callable[[HostKey, float], None] | None = None,
    ):
        self.concurrency = max(1, concurrency)
        self.base_delay = delay
        self.max_backoff = max_backoff
        self._clock = clock
        self._on_start = on_start  # sees each start, on the clock: for logs and tests
        self._lock = threading.Lock()
        self._hosts: dict[HostKey, _Host] = {}
        self._releases = 0

    def acquire(self, key: HostKey, before_start: Callable[[], None] = lambda: None) -> None:
        """Take a slot for `key`, returning once the host's delay since its last start has passed.

        `before_start` runs once a slot is free and may raise to give it up without
        starting (the Fetcher checks there for a failure remembered while it waited).
        Every acquire that returns must be matched by one `release`.
        """
        with self._lock:
            host = self._take_slot(key)
        try:
            before_start()
            self._wait_for_start(key, host)
        except BaseException:
            self._give_back(host, started=False)
            raise

    def release(self, key: HostKey) -> None:
        with self._lock:
            host = self._hosts[key]  # never swept while a slot is held
        self._give_back(host, started=True)

    @contextmanager
    def slot(self, key: HostKey) -> Iterator[None]:
        self.acquire(key)
        try:
            yield
        finally:
            self.release(key)

    def answered(self, key: HostKey, status: int, retry_after: float | None = None) -> None:
        """The host answered `status`: it has earned its full concurrency, and its back-off moves."""
        with self._lock:
            host = self._host(key)
            if not host.answered:
                host.answered = True
                host.turn.notify_all()
            base = max(self.base_delay, host.crawl_delay)
            host.backoff = next_backoff(host.backoff, base, status, retry_after, self.max_backoff)

    def set_crawl_delay(self, key: HostKey, seconds: float) -> None:
        with self._lock:
            self._host(key).crawl_delay = seconds

    def pace(self, key: HostKey) -> HostPace:
        with self._lock:
            host = self._hosts.get(key) or _Host(self._lock)
            return HostPace(host.in_flight, self._delay(host), host.backoff, host.crawl_delay,
                            host.answered, host.last_start)

    # -- inside ------------------------------------------------------------------------------

    def _host(self, key: HostKey) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(self._lock)
        return host

    def _delay(self, host: _Host) -> float:
        return max(self.base_delay, host.crawl_delay, host.backoff)

    def _take_slot(self, key: HostKey) -> _Host:
        """Wait (holding the lock, released while waiting) until the host has a free slot and an empty gate."""
        host = self._host(key)
        host.waiting += 1
        try:
            while host.at_gate or host.in_flight >= (self.concurrency if host.answered else 1):
                host.turn.wait()
        finally:
            host.waiting -= 1
        host.in_flight += 1
        host.at_gate = True
        return host

    def _wait_for_start(self, key: HostKey, host: _Host) -> None:
        """Sleep until the delay since the last start has passed; mark this start and open the gate."""
        while True:
            with self._lock:
                now = self._clock.monotonic()
                due = float("-inf") if host.last_start is None else host.last_start + self._delay(host)
                if now >= due:
                    host.last_start, host.at_gate = now, False
                    host.turn.notify_all()
                    break
            self._clock.sleep(due - now)  # the delay may have widened meanwhile: look again after
        if self._on_start is not None:
            self._on_start(key, now)

    def _give_back(self, host: _Host, *, started: bool) -> None:
        with self._lock:
            host.in_flight -= 1
            if not started:
                host.at_gate = False
            host.turn.notify_all()
            self._releases += 1
            if self._releases % _SWEEP_EVERY == 0:
                self._sweep()

    def _sweep(self) -> None:
        """Forget hosts with nothing to remember: idle, past their delay, not backing off."""
        now = self._clock.monotonic()
        idle = [
            key for key, host in self._hosts.items()
            if not (host.in_flight or host.waiting or host.backoff)
            and (host.last_start is None or now >= host.last_start + self._delay(host))
        ]
        for key in idle:
            del self._hosts[key]
