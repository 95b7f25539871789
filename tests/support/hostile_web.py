"""The hostile web: servers that hang, drip, lie about lengths, bomb or loop (tests/pipeline/test_hostile_run.py, benchmarks/hostile.py)."""

from __future__ import annotations

import gzip
import os
import socket
import threading
from contextlib import ExitStack
from functools import lru_cache

from support.fakeweb import reference_page
from support.loopback import LoopbackServer, RawServer, Reply, Route, Seen, read_request_head, reset

HTML = (("Content-Type", "text/html; charset=utf-8"),)


def never_answers(conn: socket.socket, stop: threading.Event) -> None:
    read_request_head(conn)
    stop.wait()


def drip_one_byte_a_second(conn: socket.socket, stop: threading.Event) -> None:
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<p>")
    while not stop.wait(1.0):
        conn.sendall(b"x")


def reset_mid_body(conn: socket.socket, stop: threading.Event) -> None:
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n" + b"<p>z" * 2000)
    reset(conn)


def length_longer_than_body(conn: socket.socket, stop: threading.Event) -> None:
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 50000\r\n\r\n<html>short</html>")


def broken_chunked(conn: socket.socket, stop: threading.Event) -> None:
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"10\r\n<html>0123456789\r\nzz-not-hex\r\nmore\r\n")


def megabyte_of_headers(conn: socket.socket, stop: threading.Event) -> None:
    read_request_head(conn)
    headers = b"".join(b"X-Padding-%d: %s\r\n" % (n, b"h" * 50_000) for n in range(20))  # 1 MB, lines under 64 KiB
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + headers + b"Content-Length: 5\r\n\r\nhello")


def invalid_status_line(conn: socket.socket, stop: threading.Event) -> None:
    read_request_head(conn)
    conn.sendall(b"HTTP/1.1 two-hundred Fine\r\nContent-Type: text/html\r\n\r\n<html></html>")


RAW_CASES = {
    "never answers": never_answers,
    "1 byte/s drip": drip_one_byte_a_second,
    "reset mid-body": reset_mid_body,
    "Content-Length > body": length_longer_than_body,
    "broken chunked": broken_chunked,
    "1 MB of headers": megabyte_of_headers,
    "invalid status line": invalid_status_line,
}


def gzip_bomb() -> list[bytes]:
    return [_bomb_member()] * 8  # 512 MiB once decoded, from under 1 MB on the wire


@lru_cache(maxsize=1)
def _bomb_member() -> bytes:
    return gzip.compress(bytes(64 * 1024 * 1024), compresslevel=6)


def endless_redirects(seen: Seen) -> Reply:
    """/chain?n=N redirects to /chain?n=N+1, for ever: never a loop back, only ever further."""
    hop = int(seen.path.partition("?n=")[2] or 0)
    return Reply(302, headers=(("Location", f"/chain?n={hop + 1}"),), body=b"<p>further</p>")


def nested_tags(seen: Seen) -> Reply:
    """50 MB of unclosed <div><b>, streamed (a new generator per request: retries and probes read it again)."""
    piece, pieces = b"<div><b>" * 125_000, 50  # 1 MB a piece
    body = (b"<html><body>" if n == 0 else piece for n in range(pieces + 1))
    return Reply(headers=HTML + (("Content-Length", str(12 + pieces * len(piece))),), body=body)


TEXT = "日本語のテキスト、ünïcödé Überblick " * 200


def http_cases() -> dict[str, tuple[str, Route]]:
    """Case name -> (path, route) on one ordinary HTTP site; the bomb is built only when asked for."""
    return {
        "gzip bomb page": ("/bomb.html", lambda seen: Reply(headers=HTML + (("Content-Encoding", "gzip"),),
                                                            body=gzip_bomb())),
        "gzip bomb redirect body": ("/bomb-redirect", lambda seen: Reply(
            302, headers=HTML + (("Content-Encoding", "gzip"), ("Location", "/healthy.html")), body=gzip_bomb())),
        "endless redirect chain": ("/chain", endless_redirects),
        "binary garbage as HTML": ("/garbage.html", Reply(headers=HTML, body=os.urandom(300_000))),
        "50 MB of nested tags": ("/nested.html", nested_tags),
        # Header says Shift_JIS, meta says Latin-1, the bytes are UTF-16 (with a BOM).
        "charset lies: header/meta/bytes": ("/charset.html", Reply(
            headers=(("Content-Type", "text/html; charset=shift_jis"),),
            body=f"<html><head><meta charset='iso-8859-1'><title>Überblick</title></head><body><article><p>{TEXT}"
                 f"</p></article></body></html>".encode("utf-16"))),
        "unknown charset labels": ("/unknown-label.html", Reply(
            headers=(("Content-Type", "text/html; charset=x-no-such-charset"),),
            body=f"<html><head><meta charset='klingon'><title>Überblick</title></head><body><article><p>{TEXT}"
                 f"</p></article></body></html>".encode())),
        # Cut off inside a character, closing tags and all.
        "truncated UTF-8": ("/truncated-utf8.html", Reply(
            headers=HTML, body=f"<html><body><article><p>{TEXT}".encode() + "日".encode()[:2])),
        "UTF-16 without BOM": ("/utf16.html", Reply(
            headers=(("Content-Type", "text/html"),),
            body=f"<html><head><title>Überblick</title></head><body><article><p>{TEXT}</p></article></body></html>"
                 .encode("utf-16-le"))),
        "healthy": ("/healthy.html", Reply(headers=HTML, body=reference_page("A healthy reference"))),
    }


HOSTILE_CASES = (*RAW_CASES, *http_cases())


def serve_hostile_web(stack: ExitStack, names=HOSTILE_CASES) -> dict[str, str]:
    """Start the servers behind the cases `names` (all by default) on `stack`; {case: URL to fetch}.

    Raw cases get a RawServer each; the others share one HTTP site on 127.0.0.2, which also
    serves /healthy.html (where the bomb's redirect leads).
    """
    urls = {name: stack.enter_context(RawServer(RAW_CASES[name])).url("/") for name in names if name in RAW_CASES}
    routes = http_cases()
    wanted = [name for name in names if name in routes]
    if wanted:
        site = stack.enter_context(LoopbackServer(host="127.0.0.2"))
        for name in {*wanted, "healthy"}:
            path, route = routes[name]
            site.routes[path] = route
        urls.update((name, site.url(routes[name][0])) for name in wanted)
    return {name: urls[name] for name in names}
