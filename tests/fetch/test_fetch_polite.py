"""Per-host politeness: slots, spacing on an injected clock, hosts apart, remembered hard failures, back-off.

Assertions are on order and counts (server logs, resolver calls, the
scheduler's state and the fake clock's sleeps), never on wall-clock timings.
"""

from __future__ import annotations

import logging
import socket
import threading

import pytest

from archiver.fetch.backoff import next_backoff
from archiver.fetch.frontier import Frontier
from archiver.fetch.hosts import HostKey
from archiver.models import Observation
from support.loopback import LoopbackServer, Reply, closed_port
from support.polite import WAIT, CountingResolver, FakeClock, InFlight, StartLog, polite_fetcher, run_in_threads

URLS = 20
THREADS = 8


def test_one_host_never_has_more_than_per_host_concurrency_requests_in_flight(caplog):
    in_flight = InFlight()
    routes = {f"/p/{n}": in_flight for n in range(URLS)} | {"/warm": Reply(200, body=b"warm")}
    starts, clock = StartLog(), FakeClock()
    with LoopbackServer(routes) as server, polite_fetcher(clock, starts, respect_robots=False) as fetcher:
        fetcher.fetch(server.url("/warm"))  # a host that has answered once earns its full concurrency
        results: dict[int, int] = {}

        def fetch(n: int) -> None:
            results[n] = fetcher.fetch(server.url(f"/p/{n}")).final.status

        with caplog.at_level(logging.WARNING, logger="urllib3"):
            run_in_threads(THREADS, fetch, URLS)
    assert results == {n: 200 for n in range(URLS)}
    assert in_flight.reached_two and in_flight.most == 2
    assert len({seen.client_port for seen in server.requests}) <= 2  # connections: pool size == concurrency
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
    # Every request went through the scheduler, and starts are a full delay apart on its clock.
    times = starts.times(server.port)
    assert len(times) == len(server.requests) == URLS + 1
    assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[1:]))


def test_two_hosts_proceed_independently():
    release, entered = threading.Event(), threading.Semaphore(0)

    def held(seen):
        entered.release()
        release.wait(WAIT)
        return Reply(200, body=b"held")

    with LoopbackServer({"/held": held, "/warm": Reply(200)}, host="127.0.0.1") as first, \
            LoopbackServer({"/page": Reply(200, body=b"free")}, host="127.0.0.2") as second, \
            polite_fetcher(respect_robots=False) as fetcher:
        fetcher.fetch(first.url("/warm"))
        holders = [threading.Thread(target=fetcher.fetch, args=(first.url("/held"),)) for _ in range(3)]
        for thread in holders:
            thread.start()
        assert entered.acquire(timeout=WAIT) and entered.acquire(timeout=WAIT)  # both slots of the first host held
        others = [fetcher.fetch(second.url("/page")) for _ in range(3)]  # the second host is not held up
        assert [fetch.final.status for fetch in others] == [200, 200, 200]
        assert [seen.path for seen in first.requests].count("/held") == 2  # the third waits for a slot
        release.set()
        for thread in holders:
            thread.join(WAIT)
    assert [seen.path for seen in first.requests].count("/held") == 3


def test_each_host_is_paced_on_its_own_clock():
    clock = FakeClock()
    scheduler = Frontier(2, 1.0, clock=clock)
    first, second = HostKey("127.0.0.1", 80), HostKey("127.0.0.2", 80)
    for key in (first, second, first, second):
        with scheduler.slot(key):
            pass
    assert clock.sleeps == [1.0]  # only the second visit to the first host waited; the second host's first one did not


def test_every_request_takes_a_slot_redirect_hops_and_robots_txt_included():
    starts = StartLog()
    with LoopbackServer({"/land": Reply(200, body=b"landed")}, host="127.0.0.2") as other, \
            LoopbackServer({"/start": Reply(302, [("Location", other.url("/land"))])}, host="127.0.0.1") as first, \
            polite_fetcher(on_start=starts) as fetcher:
        fetch = fetcher.fetch(first.url("/start"))
    assert fetch.final.status == 200 and len(fetch.exchanges) == 2  # robots.txt fetches are not in the Fetch
    assert [seen.path for seen in first.requests] == ["/robots.txt", "/start"]
    assert [seen.path for seen in other.requests] == ["/robots.txt", "/land"]
    assert [key for key, _ in starts.starts] == [HostKey("127.0.0.1", first.port)] * 2 + [HostKey("127.0.0.2", other.port)] * 2


@pytest.mark.parametrize("respect_robots", [False, True])
def test_a_refused_host_is_connected_to_once_for_many_urls(respect_robots):
    resolver, clock = CountingResolver(), FakeClock()  # one resolver call per connection attempt
    with closed_port() as port, polite_fetcher(clock, resolver=resolver, respect_robots=respect_robots) as fetcher:
        urls = [f"http://refused.test:{port}/{n}" for n in range(5)]
        fetches = {}
        run_in_threads(THREADS, lambda n: fetches.__setitem__(n, fetcher.fetch(urls[n])), len(urls))
        assert resolver.calls == {"refused.test": 1}
        assert {fetch.failure for fetch in fetches.values()} == {Observation.CONNECTION_ERROR}
        assert all("refused" in fetch.failure_detail.lower() for fetch in fetches.values())  # retry.py reads it
        assert sum("remembered" in fetch.failure_detail for fetch in fetches.values()) == 4
        fetcher.new_check()  # a new check asks again
        fetcher.fetch(urls[0])
        assert resolver.calls == {"refused.test": 2}


@pytest.mark.parametrize("respect_robots", [False, True])
def test_a_name_that_does_not_resolve_is_looked_up_once_until_the_memory_expires(respect_robots):
    resolver, clock = CountingResolver(address=None), FakeClock()
    with polite_fetcher(clock, resolver=resolver, respect_robots=respect_robots, failure_memory=600.0,
                        robots_unreachable_ttl=600.0) as fetcher:
        fetches = {}
        run_in_threads(THREADS, lambda n: fetches.__setitem__(n, fetcher.fetch(f"http://gone.invalid/{n}")), 5)
        assert resolver.calls == {"gone.invalid": 1}
        assert {fetch.failure for fetch in fetches.values()} == {Observation.DNS_ERROR}
        clock.advance(601)
        assert fetcher.fetch("http://gone.invalid/again").failure is Observation.DNS_ERROR
        assert resolver.calls == {"gone.invalid": 2}


def test_back_off_widens_after_429_and_503_and_relaxes_after_answers():
    routes = {
        "/ok": Reply(200, body=b"ok"),
        "/busy": Reply(429, [("Retry-After", "3")]),
        "/unavailable": Reply(503),
    }
    clock = FakeClock()
    with LoopbackServer(routes) as server, polite_fetcher(clock, respect_robots=False, per_host_delay=1.0) as fetcher:
        key = HostKey("127.0.0.1", server.port)
        delays = []
        for path in ("/ok", "/busy", "/unavailable", "/ok", "/ok", "/ok"):
            fetcher.fetch(server.url(path))
            delays.append(fetcher.politeness.frontier.pace(key).delay)
    # Retry-After 3 is a floor over doubling 1; 503 doubles again; each answer halves, down to the base.
    assert delays == [1.0, 3.0, 6.0, 3.0, 1.5, 1.0]
    assert clock.sleeps == [1.0, 3.0, 6.0, 3.0, 1.5]  # the waits before each later request, on the fake clock


def test_back_off_is_capped_even_when_retry_after_asks_for_more():
    with LoopbackServer({"/busy": Reply(429, [("Retry-After", "3600")])}) as server, \
            polite_fetcher(respect_robots=False, max_backoff_delay=5.0) as fetcher:
        fetcher.fetch(server.url("/busy"))
        fetcher.fetch(server.url("/busy"))
        pace = fetcher.politeness.frontier.pace(HostKey("127.0.0.1", server.port))
    assert pace.delay == pace.backoff == 5.0 and pace.answered


@pytest.mark.parametrize(
    "backoff, base, status, asked, expected",
    [
        (0.0, 1.0, 429, None, 2.0),  # doubles the base delay
        (0.0, 0.0, 503, None, 1.0),  # a base of 0 still slows down
        (2.0, 1.0, 429, 10.0, 10.0),  # Retry-After is a floor
        (40.0, 1.0, 503, None, 60.0),  # capped
        (8.0, 1.0, 200, None, 4.0),  # relaxes by halves
        (2.0, 1.0, 404, None, 0.0),  # back to the base
        (8.0, 1.0, 500, None, 8.0),  # other server errors leave the pace alone
    ],
)
def test_next_backoff(backoff, base, status, asked, expected):
    assert next_backoff(backoff, base, status, asked, cap=60.0) == expected


def test_waiting_for_a_slot_is_not_charged_to_the_total_timeout():
    """The second request's politeness wait outlasts its total_timeout; the fetch must still succeed.

    The fake clock's sleep blocks until a marker deadline, started on the Fetcher's own
    watchdog to expire after the fetch's deadline would, has fired: by then an unpaused
    deadline would have fired first (the watchdog fires in expiry order).
    """
    total = 0.3
    fetcher_box = {}

    class BlockingClock(FakeClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            marker = fetcher_box["fetcher"]._watchdog.start(total + 0.2)
            watched, peer = socket.socketpair()
            try:
                with watched, peer:
                    marker.watch(watched)
                    watched.settimeout(WAIT)
                    assert watched.recv(1) == b""  # the watchdog cut it: the marker fired
            finally:
                marker.finish()  # closes the marker's duplicate of `watched`, as a fetch finishes its deadline

    with LoopbackServer({"/": Reply(200, body=b"ok")}) as server, \
            polite_fetcher(BlockingClock(), respect_robots=False, total_timeout=total) as fetcher:
        fetcher_box["fetcher"] = fetcher
        assert fetcher.fetch(server.url("/")).failure is None
        second = fetcher.fetch(server.url("/"))  # waits out per_host_delay on the blocking clock
    assert fetcher.politeness.frontier.pace(HostKey("127.0.0.1", server.port)).last_start is not None
    assert second.failure is None, second.failure_detail
    assert second.final.status == 200
