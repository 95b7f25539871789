"""Fetching: the only room that imports requests and urllib3.

    Fetcher(settings.fetch).fetch(url) -> archiver.models.Fetch

Modules: client (the Fetcher, redirect hops), session (the shared requests
Session and request headers), connection (guarded urllib3 connections),
dial (resolve, guard, connect), guard (which addresses are refused),
deadline (the total timeout and its watchdog), stream (body to spooled file),
decompress (bounded content decoding), redirects (fetchable URLs, redirect targets),
failures (exceptions to observations); and politeness (what every request owes
its host) with frontier (per-host queues: which request starts next, on an
injectable clock; it also runs the workers of a cycle's tasks), hosts (HostKey),
backoff (429/503 widen a host's delay), memory (remembered dns/refused
failures) and robots (robots.txt via protego, cached per origin).
"""

from archiver.fetch.client import Fetcher
from archiver.fetch.dial import Resolver, resolve_system
from archiver.fetch.guard import NetworkGuard

__all__ = ["Fetcher", "NetworkGuard", "Resolver", "resolve_system"]
