"""Politeness shared through the machine's Redis: several RedisSharedHosts stand in for workers on several machines."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis

from archiver.fetch.hosts import HostKey
from archiver.queue import make_broker
from archiver.queue.shared_hosts import RedisSharedHosts
from archiver.settings import QueueSettings
from support.cluster import MACHINE_REDIS, redis_keys_cleaned

HOST = HostKey("site.test", 80)


@pytest.fixture
def workers(request) -> Iterator[list[RedisSharedHosts]]:
    """Three RedisSharedHosts on one test namespace, per-host concurrency 2, leases of 1s."""
    namespace = f"t-{request.node.name[:40]}-{time.monotonic_ns()}"
    brokers = [make_broker(QueueSettings(broker_url=MACHINE_REDIS, namespace=namespace)) for _ in range(3)]
    made = [RedisSharedHosts(broker, 2, lease_seconds=1.0) for broker in brokers]
    try:
        yield made
    finally:
        for shared in made:
            shared.close()
        client = redis.StrictRedis.from_url(MACHINE_REDIS)
        redis_keys_cleaned(client, namespace)
        client.connection_pool.disconnect()
        for broker in brokers:
            broker.close()


def in_threads(count: int, work) -> None:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)


def test_per_host_concurrency_holds_across_workers(workers):
    lock, held, most = threading.Lock(), [0], [0]
    pause = threading.Event()

    def request(n: int) -> None:
        shared = workers[n % 3]
        for _ in range(3):
            token = shared.start(HOST, 0.0)
            with lock:
                held[0] += 1
                most[0] = max(most[0], held[0])
            pause.wait(0.05)  # a request's duration, so that requests of different workers overlap
            with lock:
                held[0] -= 1
            shared.finish(HOST, token)

    in_threads(9, request)
    assert most[0] == 2  # reached, and never passed, across three workers of three threads


def test_per_host_delay_spaces_starts_across_workers(workers):
    starts: list[float] = []
    lock = threading.Lock()

    def request(n: int) -> None:
        shared = workers[n % 3]
        token = shared.start(HOST, 0.1)
        with lock:
            starts.append(time.monotonic())
        shared.finish(HOST, token)

    in_threads(6, request)
    ordered = sorted(starts)
    gaps = [later - earlier for earlier, later in zip(ordered, ordered[1:])]
    # Redis spaces the starts on its clock; seen here each has some scheduling jitter, so the span of five
    # delays is the firm check and each gap only has to be clearly more than none.
    assert ordered[-1] - ordered[0] >= 0.45 and min(gaps) >= 0.05, gaps


def test_a_back_off_told_by_one_worker_paces_the_others(workers):
    workers[0].back_off(HOST, 0.3)
    first = workers[1].start(HOST, 0.0)
    started = time.monotonic()
    workers[1].finish(HOST, first)
    second = workers[2].start(HOST, 0.0)
    assert time.monotonic() - started >= 0.2  # 0.3 s after the first start on Redis's clock
    workers[2].finish(HOST, second)


def test_robots_answers_are_shared_with_their_ttl(workers):
    assert workers[1].robots_text("http://site.test/robots.txt") is None
    workers[0].remember_robots("http://site.test/robots.txt", "User-agent: *\nDisallow: /private", ttl=60)
    assert workers[1].robots_text("http://site.test/robots.txt") == "User-agent: *\nDisallow: /private"
    workers[0].remember_robots("http://other.test/robots.txt", "", ttl=0.05)
    assert workers[2].robots_text("http://other.test/robots.txt") == ""  # "" : fetched, no rules


def test_the_slots_of_a_worker_that_died_free_themselves_after_the_lease(workers):
    dead, alive = workers[0], workers[1]
    dead.start(HOST, 0.0)
    dead.start(HOST, 0.0)
    dead.close()  # no more renewals: as if SIGKILLed, holding both slots
    started = time.monotonic()
    token = alive.start(HOST, 0.0)
    assert 0.3 <= time.monotonic() - started <= 10  # the 1 s lease, less what passed since its last renewal
    alive.finish(HOST, token)
