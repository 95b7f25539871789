"""Fetcher against well-behaved loopback servers: what an Exchange records, bodies, digests, failures."""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
import zlib

import pytest

from archiver.models import Observation
from support.loopback import LoopbackServer, Reply, closed_port


def sha1_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def test_plain_200_records_exchange_body_and_digest(make_fetcher):
    body = b"<html><body>Hello, archive.</body></html>"
    reply = Reply(200, [("Content-Type", "text/html; charset=utf-8"), ("X-B", "1"), ("x-a", "2"), ("X-B", "3")], body, reason="Fine Indeed")
    with LoopbackServer({"/page": reply}) as server:
        fetch = make_fetcher().fetch(server.url("/page?q=1"))
    assert fetch.failure is None and fetch.failure_detail == ""
    (exchange,) = fetch.exchanges
    assert fetch.final is exchange
    assert exchange.url == server.url("/page?q=1")
    assert (exchange.method, exchange.status, exchange.reason, exchange.http_version) == ("GET", 200, "Fine Indeed", "HTTP/1.1")
    assert exchange.peer == "127.0.0.1"
    assert exchange.started_at.tzinfo is not None and exchange.started_at.utcoffset().total_seconds() == 0
    custom = [(name, value) for name, value in exchange.response_headers if name.lower() in ("x-a", "x-b")]
    assert custom == [("X-B", "1"), ("x-a", "2"), ("X-B", "3")]  # received order and casing
    assert exchange.header("content-length") == str(len(body))
    assert exchange.content_type == "text/html"
    assert exchange.body.file.read() == body
    assert exchange.body.length == len(body)
    assert exchange.body.payload_digest == sha1_digest(body)
    assert exchange.body.truncated is None
    assert (exchange.body.decoded, exchange.body.decoded_complete) == (body, True)


def test_request_headers_are_what_went_on_the_wire(make_fetcher):
    with LoopbackServer({"/": Reply(200, body=b"ok")}) as server:
        fetcher = make_fetcher(user_agent="archiver-test/1", contact_url="https://example.org/contact")
        fetch = fetcher.fetch(server.url("/"), extra_headers={"If-None-Match": '"abc"'})
    (exchange,) = fetch.exchanges
    (seen,) = server.requests
    assert exchange.request_headers == seen.headers
    assert exchange.request_headers[0] == ("Host", f"127.0.0.1:{server.port}")
    sent = dict(exchange.request_headers)
    assert sent["User-Agent"] == "archiver-test/1 (+https://example.org/contact)"
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert sent["Accept"].startswith("text/html") and sent["Accept-Language"]
    assert sent["If-None-Match"] == '"abc"'


def test_gzip_body_is_stored_raw_and_decoded_for_extraction(make_fetcher):
    text = ("<p>Compressed words, many times over.</p>\n" * 500).encode()
    compressed = gzip.compress(text)
    reply = Reply(200, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], compressed)
    with LoopbackServer({"/": reply}) as server:
        fetch = make_fetcher().fetch(server.url("/"))
    body = fetch.final.body
    assert body.file.read() == compressed
    assert body.length == len(compressed)
    assert body.payload_digest == sha1_digest(compressed)
    assert (body.decoded, body.decoded_complete) == (text, True)
    assert fetch.final.header("Content-Encoding") == "gzip"


def test_deflate_body_is_decoded(make_fetcher):
    text = b"deflated " * 1000
    reply = Reply(200, [("Content-Encoding", "deflate")], zlib.compress(text))
    with LoopbackServer({"/": reply}) as server:
        body = make_fetcher().fetch(server.url("/")).final.body
    assert (body.decoded, body.decoded_complete) == (text, True)


def test_chunked_response_is_made_consistent(make_fetcher):
    pieces = [b"first piece ", b"second piece ", b"x" * 100_000]
    with LoopbackServer({"/": Reply(200, [("Content-Type", "text/plain")], pieces, chunked=True)}) as server:
        exchange = make_fetcher().fetch(server.url("/")).final
    stored = exchange.body.file.read()
    assert stored == b"".join(pieces)
    assert exchange.header("Transfer-Encoding") is None
    assert exchange.header("Content-Length") == str(len(stored)) == str(exchange.body.length)
    assert [name for name, _ in exchange.response_headers].count("Content-Length") == 1
    assert exchange.body.payload_digest == sha1_digest(stored)


def test_body_over_the_cap_is_cut_at_the_cap(make_fetcher):
    body = bytes(range(256)) * 1200  # 307,200 bytes
    with LoopbackServer({"/": Reply(200, body=body)}) as server:
        exchange = make_fetcher(max_body_bytes=100_000).fetch(server.url("/")).final
    assert exchange.body.truncated == "length"
    assert exchange.body.length == 100_000
    assert exchange.body.file.read() == body[:100_000]
    assert exchange.body.payload_digest == sha1_digest(body[:100_000])
    assert exchange.header("Content-Length") == str(len(body))  # as received: the record says it was cut
    assert not exchange.body.decoded_complete


def test_large_body_spools_to_disk_and_decoded_stops_at_extract_cap(make_fetcher):
    body = b"a" * 3_000_000
    with LoopbackServer({"/": Reply(200, body=body)}) as server:
        fetch = make_fetcher(max_extract_bytes=1_000_000).fetch(server.url("/"))
    exchange = fetch.final
    assert exchange.body.truncated is None
    assert exchange.body.file._rolled  # on disk, not in memory
    assert exchange.body.payload_digest == sha1_digest(body)
    assert (len(exchange.body.decoded), exchange.body.decoded_complete) == (1_000_000, False)


def test_head_request_has_empty_body_and_headers_as_sent(make_fetcher):
    with LoopbackServer({"/": Reply(200, body=b"x" * 500)}) as server:
        exchange = make_fetcher().fetch(server.url("/"), method="HEAD").final
    assert exchange.method == "HEAD"
    assert exchange.body.length == 0
    assert exchange.header("Content-Length") == "500"


def test_connections_are_reused_between_fetches(make_fetcher):
    with LoopbackServer({"/": Reply(200, body=b"ok")}) as server:
        fetcher = make_fetcher()
        first, second = fetcher.fetch(server.url("/")), fetcher.fetch(server.url("/"))
    assert first.failure is None and second.failure is None
    assert server.requests[0].client_port == server.requests[1].client_port


def test_concurrent_fetches_share_one_fetcher(make_fetcher):
    routes = {f"/{n}": Reply(200, body=f"page {n}".encode()) for n in range(24)}
    fetcher = make_fetcher(per_host_concurrency=4)
    results: dict[int, bytes] = {}

    def fetch(n: int) -> None:
        results[n] = fetcher.fetch(server.url(f"/{n}")).final.body.file.read()

    with LoopbackServer(routes) as server:
        threads = [threading.Thread(target=fetch, args=(n,)) for n in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == {n: f"page {n}".encode() for n in range(24)}


def test_cookies_are_kept_within_a_redirect_chain_only(make_fetcher):
    routes = {
        "/start": Reply(302, [("Location", "/land"), ("Set-Cookie", "session=abc; Path=/")]),
        "/land": Reply(200, body=b"landed"),
    }
    with LoopbackServer(routes) as server:
        fetcher = make_fetcher()
        chained = fetcher.fetch(server.url("/start"))
        later = fetcher.fetch(server.url("/land"))
    assert dict(chained.exchanges[1].request_headers)["Cookie"] == "session=abc"
    assert "Cookie" not in dict(later.exchanges[0].request_headers)


@pytest.mark.parametrize(
    ("url", "failure"),
    [
        ("mailto:someone@example.org", Observation.UNSUPPORTED),
        ("ftp://ftp.example.org/file", Observation.UNSUPPORTED),
        ("javascript:alert(1)", Observation.UNSUPPORTED),
        ("http://[bad", Observation.INVALID_URL),
        ("http:///no-host", Observation.INVALID_URL),
        ("http://example.org:99999/", Observation.INVALID_URL),
        ("http://example.org:port/", Observation.INVALID_URL),
        ("example.org/no-scheme", Observation.INVALID_URL),
        ("http://nonexistent.invalid/", Observation.DNS_ERROR),
        ("https://server.INVALID./", Observation.DNS_ERROR),  # any case, fully qualified
    ],
)
def test_unfetchable_urls_fail_without_raising(make_fetcher, url, failure):
    fetch = make_fetcher().fetch(url)
    assert fetch.failure is failure, fetch.failure_detail
    assert fetch.failure_detail
    assert fetch.exchanges == () and fetch.final is None and fetch.final_url == url


def test_name_that_does_not_resolve_is_a_dns_error(make_fetcher):
    def resolver(host: str, port: int) -> list[str]:
        return []

    fetch = make_fetcher(resolver=resolver).fetch("http://gone.example.net/")
    assert fetch.failure is Observation.DNS_ERROR
    assert "gone.example.net" in fetch.failure_detail


def test_refused_port_is_a_connection_error(make_fetcher):
    with closed_port() as port:
        fetch = make_fetcher().fetch(f"http://127.0.0.1:{port}/")
    assert fetch.failure is Observation.CONNECTION_ERROR
    assert f"127.0.0.1:{port}" in fetch.failure_detail

