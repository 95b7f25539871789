"""Servers that misbehave: drips, silence, resets, bombs. Each fetch must end, bounded, keeping what it got."""

from __future__ import annotations

import gzip
import resource
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from functools import lru_cache

import pytest

from archiver.models import Observation
from support.loopback import LoopbackServer, RawServer, Reply, read_request_head, reset

DRIP_INTERVAL = 0.2
TOTAL_TIMEOUT = 1.5
MARGIN = 5.0  # a bound on how late the deadline may act, not a timing benchmark
# Per case: generous, yet far below what an unbounded drip, header flood or bomb would take.
# benchmarks/hostile.py measures each case's real peak in a process of its own.
RSS_GROWTH_BOUND_KB = 100 * 1024


@pytest.fixture(autouse=True)
def bounded_peak_memory() -> Iterator[None]:
    """Each case may raise this process's peak RSS (a high-water mark) by at most RSS_GROWTH_BOUND_KB."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    yield
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert growth < RSS_GROWTH_BOUND_KB, f"peak RSS grew by {growth // 1024} MiB during this case"


def drip_forever(conn: socket.socket, stop: threading.Event, head: bytes, drip: bytes) -> None:
    read_request_head(conn)
    conn.sendall(head)
    while not stop.wait(DRIP_INTERVAL):
        conn.sendall(drip)


def timed_fetch(fetcher, url: str):
    started = time.monotonic()
    fetch = fetcher.fetch(url)
    return fetch, time.monotonic() - started


def test_body_drip_is_cut_at_the_total_timeout_keeping_its_bytes(make_fetcher):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"  # no length: the body ends only when the server stops

    with RawServer(lambda conn, stop: drip_forever(conn, stop, head, b"x")) as server:
        fetch, elapsed = timed_fetch(make_fetcher(total_timeout=TOTAL_TIMEOUT), server.url("/"))
    assert elapsed < TOTAL_TIMEOUT + MARGIN
    assert fetch.failure is None
    body = fetch.final.body
    assert body.truncated == "time"
    assert body.length >= 1 and body.file.read() == b"x" * body.length
    assert fetch.final.status == 200


def test_chunked_body_drip_is_cut_too(make_fetcher):
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    with RawServer(lambda conn, stop: drip_forever(conn, stop, head, b"1\r\ny\r\n")) as server:
        fetch, elapsed = timed_fetch(make_fetcher(total_timeout=TOTAL_TIMEOUT), server.url("/"))
    assert elapsed < TOTAL_TIMEOUT + MARGIN
    exchange = fetch.final
    assert exchange.body.truncated == "time"
    # The stored bytes are de-chunked: a Transfer-Encoding header would make replay de-chunk them again.
    assert exchange.header("Transfer-Encoding") is None
    assert exchange.header("Content-Length") == str(exchange.body.length)


def test_header_drip_is_a_timeout(make_fetcher):
    head = b"HTTP/1.1 200 OK\r\nX-Slow: "
    with RawServer(lambda conn, stop: drip_forever(conn, stop, head, b"a")) as server:
        fetch, elapsed = timed_fetch(make_fetcher(total_timeout=TOTAL_TIMEOUT), server.url("/"))
    assert elapsed < TOTAL_TIMEOUT + MARGIN
    assert fetch.failure is Observation.TIMEOUT, fetch.failure_detail
    assert fetch.exchanges == ()


def test_status_line_drip_is_a_timeout(make_fetcher):
    with RawServer(lambda conn, stop: drip_forever(conn, stop, b"", b"H")) as server:
        fetch, elapsed = timed_fetch(make_fetcher(total_timeout=TOTAL_TIMEOUT), server.url("/"))
    assert elapsed < TOTAL_TIMEOUT + MARGIN
    assert fetch.failure is Observation.TIMEOUT, fetch.failure_detail


def test_silent_server_hits_the_read_timeout(make_fetcher):
    def silent(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        stop.wait()

    with RawServer(silent) as server:
        fetch, elapsed = timed_fetch(make_fetcher(read_timeout=0.5, total_timeout=30), server.url("/"))
    assert elapsed < 0.5 + MARGIN
    assert fetch.failure is Observation.TIMEOUT, fetch.failure_detail


def test_reset_before_the_response_is_a_connection_error(make_fetcher):
    def reset_at_once(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        reset(conn)

    with RawServer(reset_at_once) as server:
        fetch = make_fetcher().fetch(server.url("/"))
    assert fetch.failure is Observation.CONNECTION_ERROR, fetch.failure_detail
    assert fetch.exchanges == ()


def test_reset_mid_body_keeps_the_response(make_fetcher):
    def reset_mid_body(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"z" * 1000)
        reset(conn)  # data already received is still read before the reset is reported

    with RawServer(reset_mid_body) as server:
        fetch = make_fetcher().fetch(server.url("/"))
    assert fetch.failure is None
    body = fetch.final.body
    assert body.truncated == "disconnect"
    assert body.file.read() == b"z" * 1000
    assert fetch.final.header("Content-Length") == "100000"


def test_short_body_then_close_is_a_disconnect(make_fetcher):
    def short_body(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"s" * 1000)

    with RawServer(short_body) as server:
        fetch = make_fetcher().fetch(server.url("/"))
    assert (fetch.final.body.truncated, fetch.final.body.length) == ("disconnect", 1000)


def test_garbage_instead_of_http_is_a_connection_error(make_fetcher):
    def garbage(conn: socket.socket, stop: threading.Event) -> None:
        read_request_head(conn)
        conn.sendall(b"\x00\x01 this is not HTTP\r\n\r\n")

    with RawServer(garbage) as server:
        fetch = make_fetcher().fetch(server.url("/"))
    assert fetch.failure is Observation.CONNECTION_ERROR, fetch.failure_detail
    assert fetch.failure_detail.isprintable()


@lru_cache(maxsize=1)
def gzip_member_of_zeros() -> bytes:
    return gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)  # 64 MiB of zeros in ~65 KB


def test_gzip_bomb_decodes_only_up_to_the_extract_cap(make_fetcher):
    member = gzip_member_of_zeros()

    def bomb() -> Iterator[bytes]:
        for _ in range(16):  # 16 members: 1 GiB once decoded, streamed as it is served
            yield member

    headers = [("Content-Encoding", "gzip"), ("Content-Type", "text/html"), ("Content-Length", str(16 * len(member)))]
    with LoopbackServer({"/": Reply(200, headers, bomb())}) as server:
        fetcher = make_fetcher(max_extract_bytes=1_000_000)
        tracemalloc.start()
        try:
            fetch = fetcher.fetch(server.url("/"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    body = fetch.final.body
    assert body.truncated is None and body.length == 16 * len(member)
    assert (len(body.decoded), body.decoded_complete) == (1_000_000, False)
    assert set(body.decoded) == {0}
    assert peak < 32 * 1024 * 1024  # bounded by the caps, nowhere near the gigabyte


def test_hung_name_lookup_is_bounded_by_the_connect_timeout(make_fetcher):
    release = threading.Event()

    def hung_resolver(host: str, port: int) -> list[str]:
        release.wait(30)
        return []

    try:
        fetch, elapsed = timed_fetch(make_fetcher(resolver=hung_resolver, connect_timeout=0.5), "http://slow-dns.example.net/")
    finally:
        release.set()
    assert elapsed < 0.5 + MARGIN
    assert fetch.failure is Observation.TIMEOUT
    assert "resolving slow-dns.example.net" in fetch.failure_detail
