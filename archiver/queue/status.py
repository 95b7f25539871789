"""What `archiver status` says about the queue: messages waiting, delayed for a retry, and dead-lettered."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from archiver.queue.broker import URL_QUEUE, make_broker
from archiver.settings import QueueSettings


@dataclass(frozen=True)
class QueueDepth:
    waiting: int  # on the queue, not yet fetched by a worker
    retrying: int  # failed once, waiting for their retry (Dramatiq's delay queue)
    dead: int  # rejected or out of retries (NAMESPACE:urls.XQ)
    error: str = ""  # Redis could not be asked: why


def queue_depth(settings: QueueSettings) -> QueueDepth:
    broker = make_broker(settings)
    base = f"{settings.namespace}:{URL_QUEUE}"
    try:
        client = broker.client
        return QueueDepth(client.llen(base), client.llen(f"{base}.DQ"),
                          client.zcard(f"{base}.XQ"))
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        return QueueDepth(0, 0, 0, error=f"Redis at {settings.broker_url} unreachable: {exc}")
    finally:
        broker.close()
