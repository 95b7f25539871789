"""Politeness shared by every process of a cluster: what the frontier asks beyond its own host queues.

A Fetcher alone keeps each host's slots, pace, back-off and robots.txt in memory
(frontier.py, robots.py). Workers on several machines (queue mode) each have a
Fetcher, and a host must still see at most `per_host_concurrency` requests at once
and one start per delay, whatever the number of workers. So a Fetcher given a
SharedHosts asks it too: after its frontier grants a start, `start` waits for a
cluster-wide slot and the cluster-wide delay; `finish` gives the slot back. Back-off
after 429/503 and robots.txt answers are told to it and read from it.

The implementation lives where its library does (archiver.queue.shared_hosts, on
Redis); this room only knows the interface.
"""

from __future__ import annotations

from typing import Protocol

from archiver.fetch.hosts import HostKey


class SharedHosts(Protocol):
    def start(self, key: HostKey, delay: float) -> str:
        """Wait for a slot of `key` across the cluster and `delay` since its last start anywhere; a lease token."""

    def finish(self, key: HostKey, token: str) -> None:
        """The request holding `token` is over: its slot is free."""

    def back_off(self, key: HostKey, seconds: float) -> None:
        """`key` asked us to slow down: every process waits at least `seconds` between starts, for that long."""

    def robots_text(self, origin: str) -> str | None:
        """The robots.txt another process fetched for `origin` ("" for none: everything allowed), or None."""

    def remember_robots(self, origin: str, text: str, ttl: float) -> None:
        """Share the robots.txt fetched for `origin` ("" when it has none) for `ttl` seconds."""
