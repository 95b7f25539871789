"""The one message kind: capture (run id, URL). Sending items, and the actor that handles them.

A message carries only ids; the database says what to do. A message that is not
exactly (int run id, str URL), or names a run or URL the database never queued, is a
bad message: logged, not retried, and dead-lettered (NAMESPACE:urls.XQ, kept a week),
and the worker takes the next one. Any other failure (the database or Redis away) is
retried with back-off by Dramatiq; after the last retry the message is dead-lettered too,
and the queuing process sends the URL again (archiver.pipeline.queued_runs).

The handler returns, and Dramatiq acknowledges the message, only after process() has
committed the URL's rows, written after its WARC records, and the references it queued
have been sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from archiver.pipeline import QueuedWork, UnknownWork
from archiver.queue.broker import URL_QUEUE, patiently
from archiver.store import QueueItem

log = logging.getLogger("archiver.queue")

ACTOR_NAME = "capture_url"


class BadMessage(Exception):
    """A message no retry can help: malformed, or about a run or URL never queued."""


class Sender:
    """Sends one message per item, in order; waits out a Redis restart (QueueUnavailable after REDIS_WAIT)."""

    def __init__(self, broker: RedisBroker):
        self.broker = broker
        self.sent = 0

    def __call__(self, items: list[QueueItem]) -> None:
        for item in items:
            message = dramatiq.Message(queue_name=URL_QUEUE, actor_name=ACTOR_NAME, args=(item.run_id, item.url),
                                       kwargs={}, options={})
            patiently(lambda message=message: self.broker.enqueue(message), f"queue {item.url}")
            self.sent += 1


def parse_message(args: tuple, kwargs: dict) -> tuple[int, str]:
    """(run id, URL) from a message's arguments; BadMessage for anything else."""
    if kwargs or len(args) != 2 or type(args[0]) is not int or not isinstance(args[1], str) or not args[1]:
        raise BadMessage(f"malformed message: args {args!r:.200}, kwargs {kwargs!r:.200}; expected (run id, URL)")
    return args[0], args[1]


class Activity:
    """How many messages this process is handling, and when it last finished one (for the idle WARC close)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock, self._lock = clock, threading.Lock()
        self.busy, self.processed, self.last_done = 0, 0, clock()

    def __enter__(self) -> None:
        with self._lock:
            self.busy += 1

    def __exit__(self, *exc_info) -> None:
        with self._lock:
            self.busy -= 1
            self.processed += 1
            self.last_done = self._clock()

    def idle_for(self) -> float:
        with self._lock:
            return 0.0 if self.busy else self._clock() - self.last_done


def declare_actor(broker: RedisBroker, work: QueuedWork, send: Sender, activity: Activity) -> dramatiq.Actor:
    """The actor that handles capture messages with `work` on this worker's broker."""

    def capture_url(*args, **kwargs) -> None:
        run_id, url = parse_message(args, kwargs)
        with activity:
            try:
                items = work.process(run_id, url)
            except UnknownWork as exc:
                raise BadMessage(str(exc)) from None
        send(items)

    def rejecting(*args, **kwargs) -> None:
        try:
            capture_url(*args, **kwargs)
        except BadMessage as exc:
            log.error("rejected a message, dead-lettered: %s", exc)
            raise

    # No time limit: the broker has no TimeLimit middleware (it would interrupt a slow host's fetch
    # mid-write); every request has its own deadline instead.
    return dramatiq.actor(rejecting, broker=broker, actor_name=ACTOR_NAME, queue_name=URL_QUEUE,
                          throws=(BadMessage,))
