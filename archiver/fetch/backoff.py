"""Adaptive back-off: how a host's answers widen or relax the delay between our requests to it.

A 429 (Too Many Requests) or 503 (Service Unavailable) says the host wants
fewer requests: its delay doubles (at least to one second, at least to what a
Retry-After header asked, at most to the cap). Every ordinary answer after
that halves the extra delay until the base delay (per_host_delay or the
host's Crawl-delay) rules again. Other 5xx answers and network failures
leave the pace as it is: they say little about how fast we ask.

Pure functions of numbers: the HostScheduler (politeness.py) keeps the state.
"""

from __future__ import annotations

from datetime import UTC, datetime

from archiver.fetch.retry import retry_after_seconds

BACKOFF_STATUSES = frozenset({429, 503})
# The smallest back-off step: doubling a delay of 0 (tests, intranets) must still slow down.
MIN_BACKOFF = 1.0


def retry_after(header: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header as seconds from now (the parser of retry.py, not a second one)."""
    return retry_after_seconds(header, now or datetime.now(UTC))


def next_backoff(backoff: float, base: float, status: int, asked: float | None, cap: float) -> float:
    """The host's back-off after an answer with `status`; 0.0 means none (the base delay applies).

    `backoff` is the current back-off, `base` the delay that applies without one,
    `asked` a Retry-After in seconds (a floor, below the cap), `cap` the widest allowed.
    """
    if status in BACKOFF_STATUSES:
        return widened(max(backoff, base), asked, cap)
    if status < 500:
        return relaxed(backoff, base)
    return backoff


def widened(current: float, asked: float | None, cap: float) -> float:
    """Double `current` (at least MIN_BACKOFF, at least `asked`), never past `cap`.

    A Retry-After longer than the cap is not waited out between requests here:
    the retry rules (retry.py) already end the check of that link as rate_limited.
    """
    return min(cap, max(current * 2, MIN_BACKOFF, asked or 0.0))


def relaxed(backoff: float, base: float) -> float:
    """Half the back-off, until it is no wider than the base delay (or MIN_BACKOFF): then none."""
    half = backoff / 2
    return half if half > base and half >= MIN_BACKOFF else 0.0
