"""Hostile servers inside one real run: every reference ends classified, bounded, and the healthy one is captured.

The single-fetch behaviours are tested one by one in test_fetch_hostile.py; here they are
the references of one article archived through the whole pipeline (fetch, record,
extract, classify, store) with a 2 s total timeout per fetch. The cases (serve_hostile_web)
are also what benchmarks/hostile.py times and measures, one process per case.
"""

from __future__ import annotations

import gzip
import os
import resource
import socket
import threading
import time
from contextlib import ExitStack
from functools import lru_cache

import sqlalchemy

from archiver.models import Observation
from archiver.pipeline import article_from_cli, open_pipeline
from archiver.settings import load_settings
from archiver.store.schema import captures, observations
from fakeweb import reference_page
from loopback import LoopbackServer, RawServer, Reply, Route, Seen, read_request_head, reset
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
           "ARCHIVER_FETCH_PER_HOST_CONCURRENCY": "8",
           "ARCHIVER_FETCH_EXTRACT_PROCESSES": "0"}  # extraction's memory in this process, where it is measured
    settings = load_settings(env=env, overrides={"storage.data_dir": str(tmp_path / "archives")})
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with ExitStack() as stack:
        news = stack.enter_context(LoopbackServer(host="127.0.0.1"))
        references = serve_hostile_web(stack)
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
        print(f"  {case:32} {row.observation:18} HTTP {row.http_status}{cut}  {row.detail[:60]}")
        assert row.observation in known, (case, row)
    assert by_url[references["healthy"]].observation == "ok"
    assert by_url[references["never answers"]].observation == "timeout"
    assert by_url[references["endless redirect chain"]].observation == "redirect_loop"
    assert by_url[references["gzip bomb redirect body"]].observation == "redirected"  # to the healthy page
    assert truncated.get(references["50 MB of nested tags"]) == "length"  # fetch.max_body_bytes is 50 MB
    assert elapsed < ELAPSED_BOUND
    assert rss_growth < RSS_BOUND_KB
    warcs = sorted(settings.storage.warc_dir.glob("*.warc.gz"))
    assert warcs and not list(settings.storage.warc_dir.glob("*.open"))
    for path in warcs:
        audit_warc(path)
