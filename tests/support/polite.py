"""Support for the politeness and robots.txt tests (no tests here): a fake clock, a counting resolver, a recording route.

Nothing here sleeps: the fake clock moves only when the code under test sleeps
on it (or a test advances it), and servers coordinate with Conditions.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from archiver.fetch import Fetcher
from archiver.fetch.hosts import HostKey
from archiver.settings import FetchSettings
from support.loopback import Reply, Seen

WAIT = 10.0  # an upper bound on waits for other threads: reached only when a test is failing


class FakeClock:
    """A monotonic clock that moves only by `sleep` and `advance`; records every sleep."""

    def __init__(self, start: float = 1000.0):
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []
        self._frozen = False
        self._frozen_waits: set[threading.Condition] = set()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += seconds

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        """Waiting out `seconds` on this clock moves it at once, as sleep does; no real time passes.

        While frozen() the wait is real instead (bounded by WAIT): time stands still until the
        test lets it go, so what other threads do meanwhile happens, provably, at the same time.
        """
        if not self._frozen:
            self.sleep(seconds)
            return
        self._frozen_waits.add(condition)
        try:
            condition.wait(WAIT)
        finally:
            self._frozen_waits.discard(condition)

    @contextmanager
    def frozen(self) -> Iterator[None]:
        self._frozen = True
        try:
            yield
        finally:
            self._frozen = False
            for condition in list(self._frozen_waits):
                with condition:
                    condition.notify_all()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class StartLog:
    """Every request start the Fetcher's scheduler reports, as (host key, fake time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.starts: list[tuple[HostKey, float]] = []

    def __call__(self, key: HostKey, when: float) -> None:
        with self._lock:
            self.starts.append((key, when))

    def times(self, port: int, host: str = "127.0.0.1") -> list[float]:
        return sorted(when for key, when in self.starts if key == HostKey(host, port))


class CountingResolver:
    """Maps every name to `address` (or fails like DNS when None), counting calls per name."""

    def __init__(self, address: str | None = "127.0.0.1"):
        self.address = address
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, host: str, port: int) -> list[str]:
        with self._lock:
            self.calls[host] = self.calls.get(host, 0) + 1
        if self.address is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [self.address]


class InFlight:
    """A route that counts requests in flight; the first one waits until a second one is in flight too.

    The wait proves the limit is reached (two at once) without any timing; later
    requests pass straight through, and `most` is the largest count ever seen.
    """

    def __init__(self, body: bytes = b"ok"):
        self.body = body
        self.now = 0
        self.most = 0
        self.reached_two = False
        self._changed = threading.Condition()

    def __call__(self, seen: Seen) -> Reply:
        with self._changed:
            self.now += 1
            self.most = max(self.most, self.now)
            if self.now >= 2:
                self.reached_two = True
                self._changed.notify_all()
            self._changed.wait_for(lambda: self.reached_two, timeout=WAIT)
            self.now -= 1
        return Reply(200, body=self.body)


@contextmanager
def polite_fetcher(clock: FakeClock | None = None, on_start: Callable[[HostKey, float], None] | None = None,
                   resolver=None, **overrides) -> Iterator[Fetcher]:
    """A Fetcher on loopback with a fake clock (politeness waits cost no real time); closed afterwards."""
    values = {"allow_private_networks": True, "connect_timeout": 5.0, "read_timeout": 10.0, "total_timeout": 20.0}
    fetcher = Fetcher(FetchSettings(**{**values, **overrides}), clock=clock or FakeClock(), on_start=on_start,
                      resolver=resolver)
    fetches = []
    original = fetcher.fetch

    def fetch(*args, **kwargs):
        result = original(*args, **kwargs)
        fetches.append(result)
        return result

    fetcher.fetch = fetch  # type: ignore[method-assign]
    try:
        yield fetcher
    finally:
        for result in fetches:
            result.close()
        fetcher.close()


def run_in_threads(count: int, work: Callable[[int], None], items: int) -> None:
    """Run work(0..items-1) on `count` threads, like the pipeline's pool; re-raise the first error."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=count) as pool:
        for future in [pool.submit(work, n) for n in range(items)]:
            future.result(timeout=60)
