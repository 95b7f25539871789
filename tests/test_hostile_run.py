"""Hostile servers inside one real run: every reference ends classified, bounded, and the healthy one is captured.

The single-fetch behaviours are tested one by one in test_fetch_hostile.py; here they are
the references of one article archived through the whole pipeline (fetch, record,
extract, classify, store) with a 2 s total timeout per fetch.
"""

from __future__ import annotations

import gzip
import os
import resource
import socket
import threading
import time
from contextlib import ExitStack

import sqlalchemy

from archiver.models import Observation
from archiver.pipeline import article_from_cli, open_pipeline
from archiver.settings import load_settings
from archiver.store.schema import captures, observations
from fakeweb import reference_page
from loopback import LoopbackServer, RawServer, Reply, read_request_head, reset
from warc_audit import audit_warc

HTML = (("Content-Type", "text/html; charset=utf-8"),)
ELAPSED_BOUND = 60.0  # a bound on a run that must end, not a benchmark
RSS_BOUND_KB = 400 * 1024  # peak RSS growth: nowhere near the 512 MiB the gzip bomb decodes to


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
    member = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=6)
    return [member] * 8  # 512 MiB once decoded, from under 1 MB on the wire


def http_routes() -> dict[str, tuple[str, Reply]]:
    bomb = gzip_bomb()
    charset_lie = ("<html><head><meta charset='iso-8859-1'><title>Überblick</title></head><body><article><p>"
                   + "日本語のテキスト、ünïcödé " * 200 + "</p></article></body></html>").encode("utf-16")
    return {
        "gzip bomb page": ("/bomb.html", Reply(headers=HTML + (("Content-Encoding", "gzip"),), body=bomb)),
        "binary garbage as HTML": ("/garbage.html", Reply(headers=HTML, body=os.urandom(300_000))),
        "5 MB of nested tags": ("/nested.html", Reply(headers=HTML, body=b"<html><body>" + b"<div><b>" * 640_000)),
        "charset lies": ("/charset.html", Reply(headers=(("Content-Type", "text/html; charset=shift_jis"),), body=charset_lie)),
        "healthy": ("/healthy.html", Reply(headers=HTML, body=reference_page("A healthy reference"))),
    }


def article_html(references: dict[str, str]) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {n} of the story explains the matter in some detail, and according to "
        f"<a href=\"{url}\">{case}</a> the situation changed considerably over the last year, "
        f"which officials have confirmed in several public statements since then.</p>"
        for n, (case, url) in enumerate(references.items()))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>A hostile web</title></head><body>"
            f"<main><article><h1>A hostile web</h1>{paragraphs}</article></main></body></html>").encode()


def test_hostile_references_in_one_run_end_classified_bounded_and_audited(tmp_path):
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "2s",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s", "ARCHIVER_FETCH_RESPECT_ROBOTS": "false",
           "ARCHIVER_FETCH_PER_HOST_CONCURRENCY": "8"}
    settings = load_settings(env=env, overrides={"storage.data_dir": str(tmp_path / "archives")})
    routes = http_routes()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with ExitStack() as stack:
        news = stack.enter_context(LoopbackServer(host="127.0.0.1"))
        web = stack.enter_context(LoopbackServer(host="127.0.0.2"))
        references = {case: stack.enter_context(RawServer(handler)).url(f"/{n}")
                      for n, (case, handler) in enumerate(RAW_CASES.items())}
        for case, (path, reply) in routes.items():
            web.routes[path] = reply
            references[case] = web.url(path)
        news.routes["/story"] = Reply(headers=HTML, body=article_html(references))
        started = time.monotonic()
        with open_pipeline(settings) as pipeline:
            [summary] = pipeline.archive([article_from_cli(news.url("/story"))])
        elapsed = time.monotonic() - started
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before

    assert summary.captured and summary.references == len(references), summary
    engine = sqlalchemy.create_engine(settings.storage.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.select(observations.c.url, observations.c.observation,
                                                        observations.c.detail, observations.c.http_status)).all()
            truncated = dict(connection.execute(sqlalchemy.select(captures.c.requested_url, captures.c.truncated)
                                                .where(captures.c.truncated.is_not(None))).all())
    finally:
        engine.dispose()
    by_url = {row.url: row for row in rows}
    known = {str(o) for o in Observation}
    print(f"\nrun took {elapsed:.1f}s; peak RSS grew by {rss_growth / 1024:.0f} MiB")
    for case, url in references.items():
        row = by_url.get(url)
        assert row is not None, f"{case}: no observation for {url}"
        cut = f" truncated={truncated[url]}" if url in truncated else ""
        print(f"  {case:24} {row.observation:18} HTTP {row.http_status}{cut}  {row.detail[:60]}")
        assert row.observation in known, (case, row)
    assert by_url[references["healthy"]].observation == "ok"
    assert by_url[references["never answers"]].observation == "timeout"
    assert elapsed < ELAPSED_BOUND
    assert rss_growth < RSS_BOUND_KB
    warcs = sorted(settings.storage.warc_dir.glob("*.warc.gz"))
    assert warcs and not list(settings.storage.warc_dir.glob("*.open"))
    for path in warcs:
        audit_warc(path)
