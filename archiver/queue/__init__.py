"""Queue mode: one message per URL on Redis through Dramatiq, and the workers that capture them.

The only room importing dramatiq and redis. What a message does is the pipeline's
(archiver.pipeline.queued_work); this room carries it:

    broker.py        the Redis broker (key namespace, heartbeats, redelivery) and waiting out a Redis restart
    messages.py      the actor: one (run, URL) per message, bad messages dead-lettered; sending items
    shared_hosts.py  politeness across the cluster: per-host slots, delay, back-off and robots.txt in Redis
    worker.py        `archiver worker`: processes x threads consuming messages, heartbeats, idle WARC close
    runs.py          the scheduler's side: runs whose URLs are sent as messages
    status.py        queue depth and dead letters, for `archiver status`
"""

from archiver.queue.broker import URL_QUEUE, QueueUnavailable, make_broker
from archiver.queue.messages import Sender
from archiver.queue.runs import queued_runs
from archiver.queue.status import QueueDepth, queue_depth
from archiver.queue.worker import run_workers

__all__ = ["URL_QUEUE", "QueueDepth", "QueueUnavailable", "Sender", "make_broker", "queue_depth", "queued_runs",
           "run_workers"]
