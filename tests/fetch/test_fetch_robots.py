"""robots.txt (RFC 9309): each answer a robots.txt can give, caching, Crawl-delay, and the bypasses.

Fetchers run on a fake clock, so per_host_delay and Crawl-delay cost no real
time and cache expiry is a clock advance; the loopback servers' request logs
prove which paths were, and were not, requested.
"""

from __future__ import annotations

import gzip

import pytest

from archiver.fetch.hosts import HostKey
from archiver.fetch.robots import ROBOTS_MAX_BYTES, product_token, robots_url
from archiver.models import Observation
from support.loopback import LoopbackServer, RawServer, Reply, closed_port, read_request_head, reset
from support.polite import FakeClock, polite_fetcher, run_in_threads

TEXT = (("Content-Type", "text/plain"),)


def robots(text: str, status: int = 200, headers=TEXT) -> Reply:
    return Reply(status, headers=headers, body=text.encode())


def paths(server) -> list[str]:
    return [seen.path for seen in server.requests]


def site(robots_reply: Reply, *pages: str, host: str = "127.0.0.1") -> LoopbackServer:
    return LoopbackServer({"/robots.txt": robots_reply} | {page: Reply(200, body=b"page") for page in pages}, host=host)


def test_a_disallowed_path_is_never_requested():
    with site(robots("User-agent: *\nDisallow: /private\n"), "/private/page", "/public") as server, \
            polite_fetcher() as fetcher:
        refused = fetcher.fetch(server.url("/private/page"))
        allowed = fetcher.fetch(server.url("/public"))
    assert refused.failure is Observation.ROBOTS_DISALLOWED and refused.exchanges == ()
    assert "robots.txt" in refused.failure_detail and "/private/page" in refused.failure_detail
    assert allowed.final.status == 200
    assert paths(server) == ["/robots.txt", "/public"]


def test_a_longer_allow_overrides_a_disallow():
    text = "User-agent: *\nDisallow: /private\nAllow: /private/open\n"
    with site(robots(text), "/private/open", "/private/closed") as server, polite_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/private/open")).final.status == 200
        assert fetcher.fetch(server.url("/private/closed")).failure is Observation.ROBOTS_DISALLOWED
    assert paths(server) == ["/robots.txt", "/private/open"]


def test_the_group_of_our_product_token_wins_over_the_star_group():
    text = "User-agent: *\nDisallow: /\n\nUser-agent: Archiver\nDisallow: /mine\n"
    with site(robots(text), "/page", "/mine") as server, polite_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/page")).final.status == 200
        assert fetcher.fetch(server.url("/mine")).failure is Observation.ROBOTS_DISALLOWED


@pytest.mark.parametrize("status", [404, 403, 410])
def test_a_4xx_robots_txt_allows_everything(status):
    with site(robots("User-agent: *\nDisallow: /\n", status=status), "/page") as server, polite_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/page")).final.status == 200
    assert paths(server) == ["/robots.txt", "/page"]


def test_a_5xx_robots_txt_disallows_everything_until_it_is_asked_again():
    answers = iter([robots("down", status=503), robots("User-agent: *\nAllow: /\n")])
    server = LoopbackServer({"/robots.txt": lambda seen: next(answers), "/a": Reply(200), "/b": Reply(200)})
    clock = FakeClock()
    with server, polite_fetcher(clock, robots_unreachable_ttl=600.0) as fetcher:
        first, second = fetcher.fetch(server.url("/a")), fetcher.fetch(server.url("/b"))
        assert {first.failure, second.failure} == {Observation.ROBOTS_DISALLOWED}
        assert "503" in first.failure_detail
        assert paths(server) == ["/robots.txt"]  # the 503 is remembered for a while
        clock.advance(601)
        assert fetcher.fetch(server.url("/a")).final.status == 200
    assert paths(server) == ["/robots.txt", "/robots.txt", "/a"]


def test_a_host_that_gives_no_answer_for_robots_txt_fails_its_urls_without_asking_for_them():
    def resets(conn, stop):
        read_request_head(conn)
        reset(conn)

    with RawServer(resets) as server, polite_fetcher() as fetcher:
        fetches = [fetcher.fetch(server.url(f"/page/{n}")) for n in range(3)]
    assert {fetch.failure for fetch in fetches} == {Observation.CONNECTION_ERROR}
    assert all("robots.txt" in fetch.failure_detail for fetch in fetches)
    assert server.connections == 1  # only robots.txt was asked for, once


def test_robots_txt_redirected_elsewhere_is_followed():
    with site(robots("User-agent: *\nDisallow: /secret\n"), host="127.0.0.2") as rules, \
            LoopbackServer({"/robots.txt": Reply(301, [("Location", rules.url("/robots.txt"))]),
                            "/open": Reply(200), "/secret": Reply(200)}) as server, polite_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/secret")).failure is Observation.ROBOTS_DISALLOWED
        assert fetcher.fetch(server.url("/open")).final.status == 200
    assert paths(server) == ["/robots.txt", "/open"]
    assert paths(rules) == ["/robots.txt"]  # fetched as the first host's rules, once


def test_robots_txt_redirected_to_an_unreachable_place_disallows_everything():
    with closed_port() as port, \
            LoopbackServer({"/robots.txt": Reply(302, [("Location", f"http://127.0.0.1:{port}/robots.txt")]),
                            "/page": Reply(200)}) as server, polite_fetcher() as fetcher:
        fetch = fetcher.fetch(server.url("/page"))
    assert fetch.failure is Observation.ROBOTS_DISALLOWED and "unreachable" in fetch.failure_detail
    assert paths(server) == ["/robots.txt"]


def test_more_than_five_robots_txt_redirects_mean_no_robots_txt():
    hops = {f"/r{n}": Reply(302, [("Location", f"/r{n + 1}")]) for n in range(6)}
    routes = hops | {"/robots.txt": Reply(302, [("Location", "/r0")]), "/r6": robots("User-agent: *\nDisallow: /\n")}
    with LoopbackServer(routes | {"/page": Reply(200)}) as server, polite_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/page")).final.status == 200
    assert "/r6" not in paths(server)


@pytest.mark.parametrize("asked, applied", [("7", 7.0), ("90", 30.0)])
def test_crawl_delay_paces_the_host_up_to_max_crawl_delay(asked, applied):
    clock = FakeClock()
    with site(robots(f"User-agent: *\nCrawl-delay: {asked}\n"), "/a", "/b") as server, \
            polite_fetcher(clock, max_crawl_delay=30.0) as fetcher:
        fetcher.fetch(server.url("/a"))
        fetcher.fetch(server.url("/b"))
        pace = fetcher.politeness.frontier.pace(HostKey("127.0.0.1", server.port))
    assert pace.crawl_delay == pace.delay == applied
    assert clock.sleeps == [applied, applied]  # robots.txt, then /a and /b each a Crawl-delay later


def test_robots_txt_is_fetched_once_per_ttl_for_many_urls():
    pages = [f"/p/{n}" for n in range(10)]
    clock = FakeClock()
    with site(robots("User-agent: *\nDisallow: /nothing\n"), *pages) as server, \
            polite_fetcher(clock, robots_ttl=3600.0) as fetcher:
        run_in_threads(8, lambda n: fetcher.fetch(server.url(pages[n])), len(pages))
        assert paths(server).count("/robots.txt") == 1 and len(server.requests) == 11
        clock.advance(3601)
        fetcher.fetch(server.url(pages[0]))
    assert paths(server).count("/robots.txt") == 2


def test_ignore_robots_fetches_a_disallowed_article_without_asking_for_robots_txt():
    with site(robots("User-agent: *\nDisallow: /\n"), "/article") as server, polite_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/article"), ignore_robots=True).final.status == 200
        assert paths(server) == ["/article"]
        assert fetcher.fetch(server.url("/article")).failure is Observation.ROBOTS_DISALLOWED


def test_respect_robots_false_never_asks_for_robots_txt():
    with site(robots("User-agent: *\nDisallow: /\n"), "/page") as server, polite_fetcher(respect_robots=False) as fetcher:
        assert fetcher.fetch(server.url("/page")).final.status == 200
    assert paths(server) == ["/page"]


def test_a_redirect_hop_that_robots_txt_disallows_is_not_requested():
    with site(robots("User-agent: *\nDisallow: /secret\n"), "/secret", host="127.0.0.2") as other, \
            site(robots("", status=404), host="127.0.0.1") as first, polite_fetcher() as fetcher:
        first.routes["/start"] = Reply(302, [("Location", other.url("/secret"))])
        fetch = fetcher.fetch(first.url("/start"))
    assert fetch.failure is Observation.ROBOTS_DISALLOWED
    assert [exchange.status for exchange in fetch.exchanges] == [302]
    assert paths(other) == ["/robots.txt"]


def test_only_the_first_500_kib_of_robots_txt_are_parsed():
    padding = "# padding\n" * (ROBOTS_MAX_BYTES // 10 + 1000)
    text = f"User-agent: *\nDisallow: /early\n{padding}Disallow: /late\n"
    with site(robots(text), "/early", "/late") as server, polite_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/early")).failure is Observation.ROBOTS_DISALLOWED
        assert fetcher.fetch(server.url("/late")).final.status == 200


def test_a_gzip_encoded_robots_txt_is_decoded_before_parsing():
    body = gzip.compress(b"User-agent: *\nDisallow: /zipped\n")
    reply = Reply(200, headers=TEXT + (("Content-Encoding", "gzip"),), body=body)
    with LoopbackServer({"/robots.txt": reply, "/zipped": Reply(200)}) as server, polite_fetcher() as fetcher:
        assert fetcher.fetch(server.url("/zipped")).failure is Observation.ROBOTS_DISALLOWED


@pytest.mark.parametrize(
    "user_agent, token",
    [("archiver/0.1 (+https://example.org)", "archiver"), ("Archiver", "archiver"), ("my-bot/2", "my-bot")],
)
def test_product_token(user_agent, token):
    assert product_token(user_agent) == token


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://Example.ORG/a/b?q=1#f", "http://example.org/robots.txt"),
        ("https://user:pw@example.org:443/x", "https://example.org/robots.txt"),
        ("http://example.org:8080/x", "http://example.org:8080/robots.txt"),
        ("http://[::1]:8080/x", "http://[::1]:8080/robots.txt"),
    ],
)
def test_robots_url_is_per_origin(url, expected):
    assert robots_url(url) == expected
