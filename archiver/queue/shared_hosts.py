"""Politeness across the cluster, in Redis: per-host slots and delay, back-off and robots.txt for every worker.

Each host (scheme, name, port) has, under NAMESPACE:host:<key>:
  slots    a sorted set of leases, scored by when each expires. A request takes a lease only
           while fewer than per_host_concurrency are live. A live worker renews its leases every
           third of the lease time (queue.heartbeat_timeout); a killed worker's expire on their own,
           so its hosts are free again as soon as its messages are redelivered.
  next     the earliest time (ms, Redis's clock) the next request may start: each start
           pushes it by the host's delay (per_host_delay, Crawl-delay, back-off: the largest).
  backoff  a delay a 429/503 imposed, for every worker, until it expires.
One Lua script checks and takes a start atomically, on Redis's clock, so workers on
machines whose clocks disagree still space their starts. robots.txt answers are kept
under NAMESPACE:robots:<origin> with the robots TTL.

A worker waits for a start on its own thread (its frontier already holds the local
slot); while Redis is unreachable it waits for Redis (broker.patiently).
"""

from __future__ import annotations

import logging
import threading
import uuid

from dramatiq.brokers.redis import RedisBroker

from archiver.fetch.hosts import HostKey
from archiver.queue.broker import patiently

log = logging.getLogger("archiver.queue")

# KEYS: slots, next, backoff. ARGV: limit, delay ms, lease ms, token.
# Returns 0 when the start is taken, else how many ms to wait before asking again.
_TAKE_START = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.min(50, tonumber(first[2]) - now))
end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return nxt - now end
local delay = math.max(tonumber(ARGV[2]), tonumber(redis.call('GET', KEYS[3]) or '0'))
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
if delay > 0 then redis.call('SET', KEYS[2], now + delay, 'PX', delay) end
return 0
"""
# KEYS: slots. ARGV: lease ms, tokens...: the leases still held are pushed back by a lease time.
_RENEW = """
redis.replicate_commands()
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', until_ms, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 0
"""
SLOT_WAIT_MS = 50  # a full host is asked again this often (a freed slot is not signalled)


class RedisSharedHosts:
    """archiver.fetch.shared.SharedHosts on the broker's Redis."""

    def __init__(self, broker: RedisBroker, concurrency: int, lease_seconds: float):
        self._client, self._prefix = broker.client, broker.namespace
        self.concurrency = max(1, concurrency)
        self._lease_ms = int(lease_seconds * 1000)
        self._take = self._client.register_script(_TAKE_START)
        self._renew = self._client.register_script(_RENEW)
        self._pause = threading.Event()  # never set: a bounded pause between asks
        self.round_trips = 0  # Redis calls made, for the benchmark's per-URL overhead
        self._held: dict[str, HostKey] = {}  # lease token -> host, while its request runs
        self._held_lock = threading.Lock()
        self._closing = threading.Event()
        self._renewer = threading.Thread(target=self._renew_leases, name="lease-renewer", daemon=True)
        self._renewer.start()

    def close(self) -> None:
        self._closing.set()
        self._renewer.join()

    def _renew_leases(self) -> None:
        while not self._closing.wait(self._lease_ms / 3000):
            with self._held_lock:
                by_host: dict[HostKey, list[str]] = {}
                for token, key in self._held.items():
                    by_host.setdefault(key, []).append(token)
            for key, tokens in by_host.items():
                try:
                    self._renew(keys=self._keys(key)[:1], args=[self._lease_ms, *tokens])
                except Exception as exc:  # noqa: BLE001 -- Redis away: the next round tries again
                    log.warning("cannot renew host slots of %s: %s", key, exc)

    def _keys(self, key: HostKey) -> list[str]:
        base = f"{self._prefix}:host:{key}"
        return [f"{base}:slots", f"{base}:next", f"{base}:backoff"]

    def start(self, key: HostKey, delay: float) -> str:
        token, keys = uuid.uuid4().hex, self._keys(key)
        while True:
            self.round_trips += 1
            wait_ms = patiently(lambda: self._take(keys=keys, args=[self.concurrency, int(delay * 1000),
                                                                    self._lease_ms, token]), "take a host slot")
            if int(wait_ms) == 0:
                with self._held_lock:
                    self._held[token] = key
                return token
            self._pause.wait(int(wait_ms) / 1000)

    def finish(self, key: HostKey, token: str) -> None:
        with self._held_lock:
            self._held.pop(token, None)
        self.round_trips += 1
        patiently(lambda: self._client.zrem(self._keys(key)[0], token), "free a host slot")

    def back_off(self, key: HostKey, seconds: float) -> None:
        self.round_trips += 1
        milliseconds = int(seconds * 1000)
        patiently(lambda: self._client.set(self._keys(key)[2], milliseconds, px=milliseconds), "share a back-off")

    def robots_text(self, origin: str) -> str | None:
        self.round_trips += 1
        text = patiently(lambda: self._client.get(f"{self._prefix}:robots:{origin}"), "read robots.txt")
        return None if text is None else text.decode("utf-8")

    def remember_robots(self, origin: str, text: str, ttl: float) -> None:
        self.round_trips += 1
        patiently(lambda: self._client.set(f"{self._prefix}:robots:{origin}", text.encode("utf-8"),
                                           px=max(1, int(ttl * 1000))), "share robots.txt")
