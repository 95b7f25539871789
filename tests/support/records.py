"""Exchanges and fetches built in memory, for tests of WARC writing.

Each body is a spooled temporary file, as the Fetcher makes them. The bodies made
here are remembered and closed after every test (tests/conftest.py calls
close_made_bodies), as the pipeline closes each Fetch once it is written.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from datetime import datetime, timedelta, timezone

from archiver.models import Body, Exchange, Fetch

T0 = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)

_made: list[Body] = []  # appended to from several threads at once (list.append is atomic)


def make_body(data: bytes, truncated: str | None = None) -> Body:
    spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115  # closed by close_made_bodies
    spool.write(data)
    spool.seek(0)
    digest = "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()
    body = Body(spool, len(data), digest, truncated=truncated)
    _made.append(body)
    return body


def close_made_bodies() -> None:
    """Close every body made here so far (the test that made them is over)."""
    while _made:
        _made.pop().close()


def make_exchange(url="http://example.test/page?q=1", data=b"<html>hello</html>", status=200, reason="OK",
                  headers=None, started_at=T0, truncated=None, peer="127.0.0.1") -> Exchange:
    host = url.split("/")[2]
    response_headers = headers if headers is not None else (
        ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data))))
    return Exchange(url=url, method="GET",
                    request_headers=(("Host", host), ("User-Agent", "archiver-test"), ("Accept", "*/*")),
                    http_version="HTTP/1.1", status=status, reason=reason, response_headers=response_headers,
                    body=make_body(data, truncated), started_at=started_at, peer=peer)


def make_fetch(*exchanges: Exchange) -> Fetch:
    return Fetch(url=exchanges[0].url, exchanges=tuple(exchanges), started_at=exchanges[0].started_at,
                 finished_at=exchanges[-1].started_at + timedelta(seconds=1))
