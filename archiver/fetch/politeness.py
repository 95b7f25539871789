"""Politeness: what the Fetcher owes a host before and after each request it sends.

Before: robots.txt must allow the URL (robots.py; its Crawl-delay paces the
host), a hard failure remembered for the host answers at once without asking
again (memory.py), and the request waits in its host's queue for a start (frontier.py).
After: the answer moves the host's pace (backoff.py), and a hard failure is
remembered.

Waiting for a slot or for robots.txt is not charged to the fetch's own
total_timeout: a fetch queued behind a slow or back-off host would otherwise
time out before sending a byte, and be reported as a timeout of a site that
never timed out. The wait is bounded all the same, by the requests ahead of
it, each bounded by its own total_timeout (and robots.txt by its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from archiver.errors import FetchError
from archiver.fetch.backoff import retry_after
from archiver.fetch.clock import SYSTEM_CLOCK, MonotonicClock
from archiver.fetch.deadline import Deadline
from archiver.fetch.frontier import Frontier
from archiver.fetch.hosts import HostKey
from archiver.fetch.memory import FailureMemory
from archiver.fetch.robots import RobotsCache, RobotsFetcher, product_token
from archiver.fetch.shared import SharedHosts
from archiver.models import Exchange, Observation
from archiver.settings import FetchSettings


class Politeness:
    """The per-host state one Fetcher keeps: slots and pace, robots.txt, remembered failures."""

    def __init__(
        self,
        settings: FetchSettings,
        clock: MonotonicClock = SYSTEM_CLOCK,
        on_start: Callable[[HostKey, float], None] | None = None,
        shared: SharedHosts | None = None,
    ):
        self.shared = shared  # the cluster's view of each host (queue mode), asked after the frontier
        self.max_crawl_delay = settings.max_crawl_delay
        self.frontier = Frontier(
            settings.per_host_concurrency,
            settings.per_host_delay,
            global_limit=settings.global_concurrency,
            max_backoff=settings.max_backoff_delay,
            clock=clock,
            on_start=on_start,
        )
        self.failures = FailureMemory(settings.failure_memory, clock)
        self.robots = RobotsCache(
            product_token(settings.user_agent), settings.robots_ttl, settings.robots_unreachable_ttl, clock,
            shared=shared,
        )

    def check_robots(self, url: str, key: HostKey, fetch_robots: RobotsFetcher) -> None:
        """Raise robots_disallowed (or the host's own failure) unless robots.txt lets us fetch `url`."""
        rules = self.robots.rules_for(url, fetch_robots)
        crawl_delay = rules.crawl_delay(self.robots.token) or 0.0
        self.frontier.set_crawl_delay(key, min(crawl_delay, self.max_crawl_delay))
        refusal = rules.refusal(url, self.robots.token)
        if refusal is not None:
            raise FetchError(Observation.ROBOTS_DISALLOWED.value, refusal)

    @contextmanager
    def request_slot(self, key: HostKey, deadline: Deadline, not_before: float = 0.0) -> Iterator[None]:
        """Hold a slot of `key` around one request (started no sooner than `not_before` on the clock).

        A hard failure raised inside is remembered for the host.
        """
        self._raise_remembered(key)  # before queueing: a host known dead is not waited for
        with deadline.paused_while():
            self.frontier.acquire(key, before_start=lambda: self._raise_remembered(key), not_before=not_before)
            try:
                lease = self.shared.start(key, self.frontier.pace(key).delay) if self.shared is not None else None
            except BaseException:
                self.frontier.release(key)
                raise
        try:
            yield
        except FetchError as error:
            self.failures.remember(key, error)
            raise
        finally:
            try:
                if lease is not None:
                    self.shared.finish(key, lease)  # type: ignore[union-attr]
            finally:
                self.frontier.release(key)

    def answered(self, key: HostKey, exchange: Exchange) -> None:
        """The host answered: widen its pace after 429/503 (Retry-After as a floor), relax it otherwise."""
        self.frontier.answered(key, exchange.status, retry_after(exchange.header("Retry-After")))
        if self.shared is not None:
            backoff = self.frontier.pace(key).backoff
            if backoff > 0:
                self.shared.back_off(key, backoff)

    def new_check(self) -> None:
        self.failures.clear()
        self.robots.forget_failures()

    def _raise_remembered(self, key: HostKey) -> None:
        remembered = self.failures.recall(key)
        if remembered is not None:
            raise remembered
