"""The Redis broker of queue mode, and how every Redis call here outlives a Redis restart.

Dramatiq's RedisBroker keeps each message's body in a hash and its id in a list
(NAMESPACE:urls); a worker's fetched-but-unacknowledged ids sit in a set of its own,
beside a heartbeat. Any worker's broker call may run the maintenance that puts the ids
of a worker silent for queue.heartbeat_timeout back on the queue: that is how a killed
worker's messages are redelivered. A busy worker whose threads are all at work calls
Redis seldom, so worker.py beats its heartbeat on a timer too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AgeLimit, Retries

from archiver.errors import ArchiverError
from archiver.settings import QueueSettings

log = logging.getLogger("archiver.queue")

T = TypeVar("T")
URL_QUEUE = "urls"
# Out of a million broker calls, how many also run maintenance (redelivery of dead workers' messages).
# Dramatiq's default (1000) can leave a killed worker's messages waiting for minutes on a quiet queue.
MAINTENANCE_CHANCE = 100_000
REDIS_WAIT = 300.0  # seconds a Redis call waits for Redis to come back before giving up
DEAD_MESSAGE_TTL_MS = 7 * 86400 * 1000  # dead letters are kept a week, for `status` and a person to read
RETRIES = Retries(max_retries=10, min_backoff=1000, max_backoff=60_000)
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


class QueueUnavailable(ArchiverError):
    """Redis did not answer for REDIS_WAIT seconds."""


def make_broker(settings: QueueSettings) -> RedisBroker:
    """The broker for `settings`; the url's database number and the namespace keep archives apart."""
    return RedisBroker(url=settings.broker_url, namespace=settings.namespace,
                       heartbeat_timeout=int(settings.heartbeat_timeout * 1000), dead_message_ttl=DEAD_MESSAGE_TTL_MS,
                       maintenance_chance=MAINTENANCE_CHANCE, middleware=[AgeLimit(), RETRIES])


def patiently(call: Callable[[], T], doing: str, wait: float = REDIS_WAIT) -> T:
    """`call()`, again with a growing pause while Redis is unreachable (a restart); QueueUnavailable after `wait`."""
    deadline, pause, sleeper = time.monotonic() + wait, 0.1, threading.Event()
    while True:
        try:
            return call()
        except REDIS_DOWN as exc:
            if time.monotonic() >= deadline:
                raise QueueUnavailable(f"cannot {doing}: Redis unreachable for {wait:.0f}s ({exc})") from exc
            log.warning("cannot %s: %s; trying again in %.1fs", doing, exc, pause)
            sleeper.wait(pause)
            pause = min(pause * 2, 5.0)


def beat_heartbeat(broker: RedisBroker) -> None:
    """Tell Redis this worker's broker is alive, as each of its broker calls does (dramatiq's dispatch.lua)."""
    # The raw command: redis-py 2.x (pywb pins it) and 3+ spell zadd's arguments differently.
    broker.client.execute_command("ZADD", f"{broker.namespace}:__heartbeats__", int(time.time() * 1000),
                                  broker.broker_id)
