"""Which results are retried within one check, and how long to wait: Retry-After in both forms, capped."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from archiver.fetch.retry import retry_after_seconds, retry_delay
from archiver.models import Body, Exchange, Fetch, Observation

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def fetch_with(status: int | None = None, headers=(), failure=None, detail="") -> Fetch:
    exchanges = ()
    if status is not None:
        body = Body(file=io.BytesIO(b""), length=0, payload_digest="sha1:X")
        exchanges = (Exchange("http://h.test/", "GET", (), "HTTP/1.1", status, "", tuple(headers), body, NOW),)
    return Fetch("http://h.test/", exchanges, NOW, NOW, failure=failure, failure_detail=detail)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_transient_statuses_back_off_exponentially(status):
    assert retry_delay(fetch_with(status), 1, backoff=1.0, cap=30, now=NOW) == 1.0
    assert retry_delay(fetch_with(status), 3, backoff=1.0, cap=30, now=NOW) == 4.0


@pytest.mark.parametrize("status", [200, 301, 400, 401, 403, 404, 410, 451])
def test_answers_that_are_facts_are_not_retried(status):
    assert retry_delay(fetch_with(status), 1, backoff=1.0, cap=30, now=NOW) is None


@pytest.mark.parametrize(
    "failure, detail, retried",
    [
        (Observation.TIMEOUT, "read timed out", True),
        (Observation.CONNECTION_ERROR, "ConnectionResetError: reset by peer", True),
        (Observation.CONNECTION_ERROR, "127.0.0.1:9: Connection refused", False),
        (Observation.DNS_ERROR, "name does not resolve", False),
        (Observation.TLS_ERROR, "bad certificate", False),
        (Observation.INVALID_URL, "no host", False),
    ],
)
def test_failures(failure, detail, retried):
    delay = retry_delay(fetch_with(failure=failure, detail=detail), 1, backoff=0.5, cap=30, now=NOW)
    assert (delay is not None) == retried


def test_retry_after_seconds_is_honoured_up_to_the_cap():
    assert retry_delay(fetch_with(429, [("Retry-After", "7")]), 1, backoff=1.0, cap=30, now=NOW) == 7.0
    assert retry_delay(fetch_with(429, [("Retry-After", "3600")]), 1, backoff=1.0, cap=30, now=NOW) is None


def test_retry_after_http_date():
    when = format_datetime(NOW + timedelta(seconds=12), usegmt=True)
    assert retry_after_seconds(when, NOW) == 12.0
    assert retry_delay(fetch_with(503, [("Retry-After", when)]), 1, backoff=1.0, cap=30, now=NOW) == 12.0
    past = format_datetime(NOW - timedelta(seconds=60), usegmt=True)
    assert retry_after_seconds(past, NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5"])
def test_unreadable_retry_after_is_ignored(value):
    assert retry_after_seconds(value, NOW) is None
