"""When a fetch is worth another attempt within one check, and how long to wait first.

Transient answers (timeouts, resets, 5xx, 429) get a bounded number of retries
with exponential back-off; a Retry-After header (seconds or an HTTP date) is
honoured up to a cap. 4xx answers, DNS errors and refused connections are facts,
not accidents: they are never retried within a check.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from archiver.models import Fetch, Observation

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_FAILURES = frozenset({Observation.TIMEOUT, Observation.CONNECTION_ERROR})


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from `now`: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retry_delay(fetch: Fetch, attempt: int, *, backoff: float, cap: float, now: datetime | None = None) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None when this result should stand.

    `attempt` counts from 1. A Retry-After longer than `cap` means the server
    will not be ready within this check: the result stands (e.g. rate_limited).
    """
    final = fetch.exchanges[-1] if fetch.exchanges else None
    if fetch.failure is not None:
        if fetch.failure not in RETRY_FAILURES or _refused(fetch):
            return None
    elif final is None or final.status not in RETRY_STATUSES:
        return None
    delay = min(cap, backoff * 2 ** (attempt - 1))
    if final is not None and fetch.failure is None:
        asked = retry_after_seconds(final.header("Retry-After"), now or datetime.now(UTC))
        if asked is not None:
            if asked > cap:
                return None
            delay = max(delay, asked)
    return delay


def _refused(fetch: Fetch) -> bool:
    """A refused connection: nothing listens there, and asking again within seconds will not change that."""
    return "connection refused" in fetch.failure_detail.lower()  # the detail carries the OS's message
