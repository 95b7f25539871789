"""Redirects followed by hand: every hop an Exchange, loops and long chains refused."""

from __future__ import annotations

import time
from collections.abc import Iterator

from archiver.models import Observation
from support.loopback import LoopbackServer, Reply, Seen


def test_chain_of_three_redirects_records_four_exchanges(make_fetcher):
    with LoopbackServer() as server:
        server.routes.update(
            {
                "/a": Reply(301, [("Location", server.url("/b"))]),  # absolute
                "/b": Reply(302, [("Location", "/dir/c")]),  # absolute path
                "/dir/c": Reply(307, [("Location", "d?x=1")], b"moved"),  # relative to /dir/
                "/dir/d": Reply(200, [("Content-Type", "text/plain")], b"the end"),
            }
        )
        fetch = make_fetcher().fetch(server.url("/a"))
    assert fetch.failure is None
    assert [e.url for e in fetch.exchanges] == [server.url(p) for p in ("/a", "/b", "/dir/c", "/dir/d?x=1")]
    assert [e.status for e in fetch.exchanges] == [301, 302, 307, 200]
    assert fetch.exchanges[2].body.file.read() == b"moved"  # redirect bodies are evidence too
    assert fetch.final.body.file.read() == b"the end"
    assert fetch.final_url == server.url("/dir/d?x=1")
    assert len(server.requests) == 4


def test_303_turns_the_request_into_a_get(make_fetcher):
    with LoopbackServer({"/form": Reply(303, [("Location", "/done")]), "/done": Reply(200, body=b"ok")}) as server:
        fetch = make_fetcher().fetch(server.url("/form"), method="POST")
    assert [(e.method, e.status) for e in fetch.exchanges] == [("POST", 303), ("GET", 200)]
    assert [seen.method for seen in server.requests] == ["POST", "GET"]


def test_307_keeps_the_method(make_fetcher):
    with LoopbackServer({"/a": Reply(307, [("Location", "/b")]), "/b": Reply(200)}) as server:
        fetch = make_fetcher().fetch(server.url("/a"), method="HEAD")
    assert [e.method for e in fetch.exchanges] == ["HEAD", "HEAD"]


def test_redirect_back_to_a_visited_url_is_a_loop_at_once(make_fetcher):
    with LoopbackServer({"/a": Reply(302, [("Location", "/b")]), "/b": Reply(302, [("Location", "/a")])}) as server:
        fetch = make_fetcher().fetch(server.url("/a"))
    assert fetch.failure is Observation.REDIRECT_LOOP
    assert server.url("/a") in fetch.failure_detail
    assert [e.status for e in fetch.exchanges] == [302, 302]
    assert fetch.final is None and fetch.final_url == server.url("/b")
    assert len(server.requests) == 2  # /a is not asked for a second time


def test_a_cookie_wall_that_sends_the_reader_back_with_a_cookie_is_no_loop(make_fetcher):
    def article(seen: Seen) -> Reply:
        if "consent=yes" in dict(seen.headers).get("Cookie", ""):
            return Reply(200, [("Content-Type", "text/html")], b"<p>the article</p>")
        return Reply(302, [("Location", "/consent")])

    routes = {"/article": article, "/consent": Reply(302, [("Location", "/article"), ("Set-Cookie", "consent=yes; Path=/")])}
    with LoopbackServer(routes) as server:
        fetch = make_fetcher().fetch(server.url("/article"))
    assert fetch.failure is None and fetch.final.status == 200
    assert [e.status for e in fetch.exchanges] == [302, 302, 200]
    assert [seen.path for seen in server.requests] == ["/article", "/consent", "/article"]


def test_a_wall_that_keeps_sending_back_with_the_same_cookie_is_a_loop(make_fetcher):
    routes = {"/article": Reply(302, [("Location", "/consent")]),
              "/consent": Reply(302, [("Location", "/article"), ("Set-Cookie", "consent=yes; Path=/")])}
    with LoopbackServer(routes) as server:
        fetch = make_fetcher().fetch(server.url("/article"))
    assert fetch.failure is Observation.REDIRECT_LOOP  # the same request (URL and cookies) came round again
    assert [seen.path for seen in server.requests] == ["/article", "/consent", "/article", "/consent"]


def test_more_than_max_redirects_is_a_loop(make_fetcher):
    def next_hop(seen: Seen) -> Reply:
        n = int(seen.path.rsplit("/", 1)[1])
        return Reply(302, [("Location", f"/hop/{n + 1}")])

    with LoopbackServer({f"/hop/{n}": next_hop for n in range(20)}) as server:
        fetch = make_fetcher(max_redirects=3).fetch(server.url("/hop/0"))
    assert fetch.failure is Observation.REDIRECT_LOOP
    assert "more than 3 redirects" in fetch.failure_detail
    assert len(fetch.exchanges) == 4  # three redirects followed, the fourth refused
    assert len(server.requests) == 4


def test_redirect_without_location_is_final(make_fetcher):
    with LoopbackServer({"/": Reply(302, body=b"nowhere to go")}) as server:
        fetch = make_fetcher().fetch(server.url("/"))
    assert fetch.failure is None and fetch.final.status == 302


def test_redirect_to_an_unsupported_scheme_keeps_the_hop(make_fetcher):
    with LoopbackServer({"/": Reply(301, [("Location", "mailto:editor@example.org")])}) as server:
        fetch = make_fetcher().fetch(server.url("/"))
    assert fetch.failure is Observation.UNSUPPORTED
    assert [e.status for e in fetch.exchanges] == [301]


def test_total_timeout_spans_all_hops(make_fetcher):
    def slow_redirect(seen: Seen) -> Reply:
        n = int(seen.path.rsplit("/", 1)[1])
        return Reply(302, [("Location", f"/slow/{n + 1}")], slow_body())

    def slow_body() -> Iterator[bytes]:
        for _ in range(5):  # half a second per hop: no single read is slow, the chain is
            yield b"."
            time.sleep(0.1)

    with LoopbackServer({f"/slow/{n}": slow_redirect for n in range(10)}) as server:
        started = time.monotonic()
        fetch = make_fetcher(total_timeout=1.2).fetch(server.url("/slow/0"))
        elapsed = time.monotonic() - started
    assert fetch.failure is Observation.TIMEOUT, fetch.failure_detail
    assert 2 <= len(fetch.exchanges) <= 3
    assert elapsed < 1.2 + 5  # a bound, not a benchmark


def test_redirect_body_obeys_the_size_cap(make_fetcher):
    routes = {"/big": Reply(302, [("Location", "/end")], b"x" * 300_000), "/end": Reply(200, body=b"end")}
    with LoopbackServer(routes) as server:
        fetch = make_fetcher(max_body_bytes=100_000).fetch(server.url("/big"))
    assert fetch.failure is None
    assert (fetch.exchanges[0].body.truncated, fetch.exchanges[0].body.length) == ("length", 100_000)
    assert fetch.final.body.file.read() == b"end"
