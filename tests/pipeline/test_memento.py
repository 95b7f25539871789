"""Public-archive copies through Memento (RFC 7089): Link parsing, memento choice, and look-ups of a loopback TimeGate.

The TimeGate here answers as RFC 7089's 302-style negotiation describes: a GET of
/web/<URI-R> with Accept-Datetime gets a 302 to the memento closest to that moment
(as the Wayback Machine picks), `Vary: accept-datetime`, and a Link header naming the
original, the timegate, the timemap and the first/prev/selected/next/last mementos
with their datetimes; a URI-R it holds nothing for gets a 404.
"""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.fetch import Fetcher
from archiver.judge.memento import (
    Memento,
    article_moment,
    http_date,
    nearest_before,
    parse_http_date,
    parse_links,
    read_timegate_answer,
)
from archiver.pipeline import article_from_cli, open_pipeline, open_store
from archiver.pipeline.memento_lookups import find_public_copies
from archiver.report import build_report, formatter_for
from archiver.settings import load_settings
from archiver.store.public_copies import LOOKUP, PublicCopyRow
from support.loopback import LoopbackServer, Reply, closed_port
from support.report_history import validated_report

HTML = (("Content-Type", "text/html; charset=utf-8"),)
UTC = timezone.utc
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PUBLISHED = datetime(2022, 7, 19, 10, 0, tzinfo=UTC)  # the article page's article:published_time
BODY = " ".join(["The council approved the budget after a long debate on transport and housing."] * 12)


def stamp(when: datetime) -> str:
    return when.strftime("%Y%m%d%H%M%S")


class LoopbackTimeGate:
    """A Memento TimeGate (302-style) over a table URI-R -> memento datetimes."""

    def __init__(self, server: LoopbackServer):
        self.server = server
        self.mementos: dict[str, list[datetime]] = {}
        server.fallback = self._answer

    def template(self) -> str:
        return self.server.url("/web/{url}")

    def memento_url(self, original: str, when: datetime) -> str:
        return self.server.url(f"/web/{stamp(when)}/{original}")

    def lookups(self) -> list[tuple[str, str | None]]:
        """(URI-R, Accept-Datetime) of every TimeGate request so far (robots.txt and the like left out)."""
        return [(seen.path[len("/web/"):], dict((k.lower(), v) for k, v in seen.headers).get("accept-datetime"))
                for seen in self.server.requests if seen.path.startswith("/web/")]

    def _answer(self, seen) -> Reply:
        original = seen.path[len("/web/"):] if seen.path.startswith("/web/") else None
        times = sorted(self.mementos.get(original or "", []))
        if not times:
            return Reply(404, body=b"no mementos")
        wanted = parse_http_date(dict((k.lower(), v) for k, v in seen.headers).get("accept-datetime")) or times[-1]
        index = min(range(len(times)), key=lambda i: abs(times[i] - wanted))  # the closest, before or after
        links = [f'<{original}>; rel="original"', f'<{self.server.url("/web/" + original)}>; rel="timegate"',
                 f'<{self.server.url("/web/timemap/link/" + original)}>; rel="timemap"; type="application/link-format"']
        for i, when in enumerate(times):
            rels = ["first"] * (i == 0) + ["prev"] * (i == index - 1) + ["next"] * (i == index + 1) + ["last"] * (i == len(times) - 1)
            if i == index or rels:
                rel = " ".join(rels + ["memento"])
                links.append(f'<{self.memento_url(original, when)}>; rel="{rel}"; datetime="{http_date(when)}"')
        return Reply(302, headers=(("Location", f"/web/{stamp(times[index])}/{original}"), ("Vary", "accept-datetime"),
                                   ("Link", ", ".join(links)), ("Content-Length", "0")))


def article_page(links: list[str]) -> bytes:
    paragraphs = "".join(f"<p>{BODY} As <a href=\"{url}\">this source</a> reported, the plan changed.</p>" for url in links)
    return (f"<!doctype html><html><head><title>Council budget</title>"
            f"<meta property=\"article:published_time\" content=\"{PUBLISHED.isoformat().replace('+00:00', 'Z')}\">"
            f"</head><body><article><h1>Council budget</h1>{paragraphs}</article></body></html>").encode()


def run_settings(data_dir, timegate_template: str, **memento):
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
           "ARCHIVER_FETCH_TOTAL_TIMEOUT": "10s", "ARCHIVER_FETCH_RETRIES": "0"}
    overrides = {"storage.data_dir": str(data_dir), "memento.enabled": True,
                 "memento.timegates": [{"name": "Loopback Archive", "url": timegate_template}]}
    overrides.update({f"memento.{key}": value for key, value in memento.items()})
    return load_settings(env=env, overrides=overrides)


@pytest.fixture
def web():
    """A news site (127.0.0.1) with an article and its references, and a TimeGate on 127.0.0.5."""
    with ExitStack() as stack:
        site = stack.enter_context(LoopbackServer(host="127.0.0.1"))
        gate = LoopbackTimeGate(stack.enter_context(LoopbackServer(host="127.0.0.5")))
        site.routes["/stable.html"] = Reply(headers=HTML, body=f"<html><body><article><p>{BODY}</p></article></body></html>".encode())
        for name in ("missing", "late", "unarchived", "third"):
            site.routes[f"/{name}.html"] = Reply(404, headers=HTML, body=b"<h1>Not Found</h1>")
        urls = {name: site.url(f"/{name}.html") for name in ("stable", "missing", "late", "unarchived", "third")}
        site.routes["/article.html"] = Reply(headers=HTML, body=article_page(list(urls.values())))
        gate.mementos[urls["missing"]] = [datetime(2021, 3, 1, tzinfo=UTC), datetime(2022, 7, 1, tzinfo=UTC),
                                          datetime(2022, 7, 30, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)]
        gate.mementos[urls["late"]] = [datetime(2023, 5, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC)]
        gate.mementos[urls["third"]] = [datetime(2020, 1, 1, tzinfo=UTC)]
        yield site, gate, urls


def cycle(settings, site, when: datetime, *, archive: bool = False) -> None:
    """Archive the article (its page and every reference), or re-check every link, at `when`."""
    with open_pipeline(settings, clock=lambda: when, sleep=lambda s: None) as pipeline:
        if archive:
            pipeline.archive([article_from_cli(site.url("/article.html"))])
        else:
            pipeline.check(include_not_due=True)


def quick(settings):
    """Dead after one failing check: enough for what these tests look at."""
    return dataclasses.replace(settings, health=dataclasses.replace(settings.health, confirm_checks=1, confirm_interval=0))


# ---- end to end ------------------------------------------------------------------------------------


def test_dead_links_get_public_copies_listed_in_json_and_html_reports(web, tmp_path):
    site, gate, urls = web
    settings = run_settings(tmp_path / "archives", gate.template())
    times = [T0, T0 + timedelta(hours=36), T0 + timedelta(hours=72)]
    cycle(settings, site, times[0], archive=True)
    cycle(settings, site, times[1])
    assert gate.lookups() == [], "suspect links are not looked up: only dead, rotten or drifted ones"
    cycle(settings, site, times[2])

    asked = dict(gate.lookups())
    assert set(asked) == {urls["missing"], urls["late"], urls["unarchived"], urls["third"]}  # never the alive one
    assert set(asked.values()) == {"Tue, 19 Jul 2022 10:00:00 GMT"}  # the article's published date
    with open_store(settings) as store:
        found = store.public_copies_for(list(urls.values()), found_only=False)
        assert store.last_run().status == "ok" and store.last_run().counts["public_copy_found"] == 3
        data = build_report(store, settings, now=times[2] + timedelta(minutes=5))
    # The TimeGate picked 2022-07-30 (closest); its prev memento, 2022-07-01, is the newest before the article.
    assert [(r.status, r.memento_url, r.memento_datetime) for r in found[urls["missing"]]] == [
        ("found", gate.memento_url(urls["missing"], datetime(2022, 7, 1, tzinfo=UTC)), datetime(2022, 7, 1, tzinfo=UTC))]
    assert found[urls["late"]][0].memento_datetime == datetime(2023, 5, 1, tzinfo=UTC)  # none before: the earliest after
    assert [(r.status, r.memento_url) for r in found[urls["unarchived"]]] == [("none", None)]
    assert urls["stable"] not in found

    report = validated_report(formatter_for("json")(data))
    links = {link["url"]: link for article in report["articles"] for link in article["links"]}
    assert links[urls["missing"]]["verdict"] == "dead"
    assert links[urls["missing"]]["public_copies"] == [{
        "archive": "Loopback Archive", "memento_url": gate.memento_url(urls["missing"], datetime(2022, 7, 1, tzinfo=UTC)),
        "memento_datetime": "2022-07-01T00:00:00Z", "looked_up_at": "2026-01-08T09:00:00Z"}]
    assert links[urls["unarchived"]]["public_copies"] == [] and links[urls["stable"]]["public_copies"] == []

    html = formatter_for("html")(data)
    memento = gate.memento_url(urls["missing"], datetime(2022, 7, 1, tzinfo=UTC))
    assert f'<a class="copy" href="{memento}" rel="noopener noreferrer nofollow">Loopback Archive, 2022-07-01</a>' in html
    assert memento in formatter_for("markdown")(data) and memento in formatter_for("csv")(data)
    assert memento.encode() in formatter_for("junit")(data)


def test_robust_links_use_the_public_copy_when_we_have_none(web, tmp_path):
    site, gate, urls = web
    settings = quick(run_settings(tmp_path / "archives", gate.template()))
    cycle(settings, site, T0, archive=True)
    with open_store(settings) as store:
        data = build_report(store, settings, now=T0 + timedelta(minutes=5), article_url=site.url("/article.html"))
    anchors = formatter_for("robustlinks")(data)
    memento = gate.memento_url(urls["missing"], datetime(2022, 7, 1, tzinfo=UTC))
    assert f'href="{urls["missing"]}" data-originalurl="{urls["missing"]}" data-versionurl="{memento}" data-versiondate="2022-07-01"' in anchors


def test_timegate_down_leaves_the_run_ok_and_is_retried_at_the_next_check(web, tmp_path):
    site, gate, urls = web
    with closed_port() as port:
        down = quick(run_settings(tmp_path / "archives", f"http://127.0.0.5:{port}/web/{{url}}"))
        cycle(down, site, T0, archive=True)
    with open_store(down) as store:
        run = store.last_run()
        rows = store.public_copies_for(list(urls.values()), found_only=False)
    assert run.status == "ok" and run.counts["public_copy_failed"] == 4
    assert {row.status for per_url in rows.values() for row in per_url} == {"failed"}
    assert all("connection_error" in row.detail for per_url in rows.values() for row in per_url)

    up = dataclasses.replace(down, memento=dataclasses.replace(down.memento, timegates=run_settings(
        tmp_path, gate.template()).memento.timegates))
    cycle(up, site, T0 + timedelta(hours=1))
    assert sorted(url for url, _ in gate.lookups()) == sorted([urls["missing"], urls["late"], urls["unarchived"], urls["third"]])
    with open_store(up) as store:
        statuses = {url: rows[0].status for url, rows in store.public_copies_for(list(urls.values()), found_only=False).items()}
    assert statuses == {urls["missing"]: "found", urls["late"]: "found", urls["third"]: "found", urls["unarchived"]: "none"}


def test_lookup_limit_per_run_is_honoured_and_fresh_lookups_wait_for_the_refresh_interval(web, tmp_path):
    site, gate, urls = web
    settings = quick(run_settings(tmp_path / "archives", gate.template(), lookup_limit_per_run=3, refresh_interval="10d"))
    cycle(settings, site, T0, archive=True)
    assert len(gate.lookups()) == 3
    cycle(settings, site, T0 + timedelta(days=1))
    assert len(gate.lookups()) == 4, "the fourth dead link next; the three looked up are fresh"
    cycle(settings, site, T0 + timedelta(days=2))
    assert len(gate.lookups()) == 4
    cycle(settings, site, T0 + timedelta(days=12))
    assert len(gate.lookups()) == 7, "after refresh_interval the oldest three again, within the limit"


def test_lookups_are_api_calls_that_do_not_ask_robots_txt(web, tmp_path):
    # An archive's robots.txt keeps crawlers out of its replay paths; the TimeGate there is an API.
    site, gate, urls = web
    gate.server.routes["/robots.txt"] = Reply(200, headers=(("Content-Type", "text/plain"),),
                                              body=b"User-agent: *\nDisallow: /\n")
    cycle(quick(run_settings(tmp_path / "archives", gate.template())), site, T0, archive=True)
    assert {url for url, _ in gate.lookups()} == {urls[name] for name in ("missing", "late", "unarchived", "third")}
    assert "/robots.txt" not in [seen.path for seen in gate.server.requests]


def test_disabled_means_no_lookup(web, tmp_path):
    site, gate, _ = web
    cycle(quick(run_settings(tmp_path / "archives", gate.template(), enabled=False)), site, T0, archive=True)
    assert gate.lookups() == []


def test_the_network_guard_refuses_a_loopback_timegate_unless_private_networks_are_allowed(web, tmp_path):
    site, gate, urls = web
    settings = quick(run_settings(tmp_path / "archives", gate.template(), enabled=False))
    cycle(settings, site, T0, archive=True)
    memento = dataclasses.replace(settings.memento, enabled=True)
    guarded = dataclasses.replace(settings.fetch, allow_private_networks=False)
    with open_store(settings) as store, Fetcher(guarded) as fetcher:
        counts = find_public_copies(store, fetcher, memento, lambda: T0)
        rows = store.public_copies_for(list(urls.values()), found_only=False)
    assert counts == {"public_copy_failed": 4} and gate.server.requests == []
    assert {row.detail.split(":")[0] for per_url in rows.values() for row in per_url} == {"excluded"}


def test_alive_references_are_submitted_to_the_save_endpoint_once(web, tmp_path):
    site, gate, urls = web
    with LoopbackServer(host="127.0.0.6") as save:
        save.fallback = Reply(200, body=b"saved")
        settings = quick(run_settings(tmp_path / "archives", gate.template(), submit_new_captures=True,
                                      save_endpoint=save.url("/save/{url}")))
        cycle(settings, site, T0, archive=True)
        cycle(settings, site, T0 + timedelta(hours=1))
        saved = [seen.path for seen in save.requests if seen.path.startswith("/save/")]
    assert saved == [f"/save/{urls['stable']}"]  # alive only, and only once
    with open_store(settings) as store:
        rows = store.public_copies_for([urls["stable"]], found_only=False)[urls["stable"]]
    assert [(row.kind, row.archive, row.status) for row in rows] == [("submit", "127.0.0.6", "submitted")]


# ---- store -------------------------------------------------------------------------------------------


def test_a_failed_refresh_keeps_the_memento_found_before(store):
    when = datetime(2026, 2, 1, tzinfo=UTC)
    found = PublicCopyRow("http://a.test/x", "IA", LOOKUP, "found", when, "http://ia.test/web/2020/x",
                          datetime(2020, 1, 1, tzinfo=UTC))
    store.record_public_copy(found)
    store.record_public_copy(PublicCopyRow("http://a.test/x", "IA", LOOKUP, "failed", when + timedelta(days=40), detail="timeout"))
    [row] = store.public_copies_for(["http://a.test/x"])["http://a.test/x"]
    assert (row.status, row.memento_url, row.looked_up_at, row.detail) == (
        "failed", "http://ia.test/web/2020/x", when + timedelta(days=40), "timeout")
    store.record_public_copy(PublicCopyRow("http://a.test/x", "IA", LOOKUP, "none", when + timedelta(days=80)))
    assert store.public_copies_for(["http://a.test/x"]) == {}


def test_candidates_are_failing_links_never_looked_up_then_failed_or_stale_with_their_citing_articles(store):
    from archiver.models import Article, Link

    when = datetime(2026, 2, 1, tzinfo=UTC)
    first, _ = store.add_article(Article("http://news.test/1", seed_date="2020-05-01"), when)
    second, _ = store.add_article(Article("http://news.test/2"), when + timedelta(days=1))
    names = ("dead", "rotten", "drifted", "alive", "suspect", "failed", "stale", "fresh")
    urls = {name: f"http://ref.test/{name}" for name in names}
    store.replace_links(first, [Link(url, "", i) for i, url in enumerate(urls.values())], when)
    store.replace_links(second, [Link(urls["dead"], "", 0)], when)
    for name, url in urls.items():
        store.set_link_health(url, name if name in ("rotten", "drifted", "alive", "suspect") else "dead", when, when)
    looked = {"failed": ("failed", when), "stale": ("found", when - timedelta(days=40)), "fresh": ("found", when)}
    for name, (status, at) in looked.items():
        store.record_public_copy(PublicCopyRow(urls[name], "IA", LOOKUP, status, at))
    store.record_public_copy(PublicCopyRow(urls["dead"], "Other", LOOKUP, "found", when))  # another archive's

    candidates = store.public_copy_candidates("IA", ("dead", "rotten", "drifted"), when - timedelta(days=30), 10)
    assert list(candidates) == [urls[n] for n in ("dead", "drifted", "rotten", "stale", "failed")]
    assert [(a.published, a.seed_date) for a in candidates[urls["dead"]]] == [(None, "2020-05-01"), (None, None)]
    assert list(store.public_copy_candidates("IA", ("dead", "rotten", "drifted"), when - timedelta(days=30), 2)) == [
        urls["dead"], urls["drifted"]]
    assert store.submission_candidates("save.test", ("alive",), 5) == [urls["alive"]]


# ---- parsing -------------------------------------------------------------------------------------------


def test_link_header_with_quoted_commas_relative_uris_and_several_relations():
    header = ('</web/20200101000000/http://a.test/>; rel="first memento"; datetime="Wed, 01 Jan 2020 00:00:00 GMT", '
              '<http://a.test/>;rel=original, <http://x.test/tm>; rel="timemap"; title="a, b; c"; type=application/link-format,'
              ' garbage, <http://x.test/m2>; rel="memento"; datetime="Fri, 01 Jan 2021 00:00:00 GMT"')
    links = parse_links(header, base="http://x.test/web/http://a.test/")
    assert [(link.uri, sorted(link.rels)) for link in links] == [
        ("http://x.test/web/20200101000000/http://a.test/", ["first", "memento"]), ("http://a.test/", ["original"]),
        ("http://x.test/tm", ["timemap"]), ("http://x.test/m2", ["memento"])]
    assert links[2].params["title"] == "a, b; c"


_uris = st.from_regex(r"http://[a-z]{1,8}\.test/[a-z0-9/]{0,12}", fullmatch=True)
_times = st.datetimes(min_value=datetime(1996, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)).map(
    lambda t: t.replace(microsecond=0))


@given(st.lists(st.tuples(_uris, st.sets(st.sampled_from(["memento", "first", "last", "prev", "next"]), min_size=1),
                          _times, st.text(alphabet='ab ,;"\\', max_size=6)), max_size=6))
def test_link_headers_round_trip(entries):
    def quoted(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    header = ", ".join(f'<{uri}>; rel="{" ".join(sorted(rels))}"; title={quoted(title)}; datetime="{http_date(when)}"'
                       for uri, rels, when, title in entries)
    parsed = parse_links(header)
    assert [(link.uri, link.rels, parse_http_date(link.params["datetime"]), link.params["title"]) for link in parsed] == [
        (uri, frozenset(rels), when, title) for uri, rels, when, title in entries]


def test_200_style_answer_and_404_and_other_statuses():
    answer = read_timegate_answer("http://tg.test/web/http://a.test/", 200, (
        ("Memento-Datetime", "Sun, 01 Mar 2015 10:00:00 GMT"), ("Content-Location", "/web/20150301100000/http://a.test/")))
    assert answer.status == "found" and answer.selected == Memento(
        "http://tg.test/web/20150301100000/http://a.test/", datetime(2015, 3, 1, 10, tzinfo=UTC))
    assert read_timegate_answer("http://tg.test/x", 404, ()).status == "none"
    assert read_timegate_answer("http://tg.test/x", 200, ()).status == "failed"  # a page, not a memento
    assert read_timegate_answer("http://tg.test/x", 503, ()).status == "failed"
    assert read_timegate_answer("http://tg.test/x", 302, (("Location", "javascript:alert(1)"),)).status == "failed"


def test_a_redirect_without_datetime_takes_the_wayback_timestamp_from_the_memento_uri():
    answer = read_timegate_answer("https://web.archive.org/web/http://a.test/", 302,
                                  (("Location", "https://web.archive.org/web/20190605123456/http://a.test/"),))
    assert answer.selected.datetime == datetime(2019, 6, 5, 12, 34, 56, tzinfo=UTC)


def test_nearest_before_prefers_the_newest_before_then_the_earliest_after():
    m = [Memento("u1", datetime(2020, 1, 1, tzinfo=UTC)), Memento("u2", datetime(2021, 1, 1, tzinfo=UTC)),
         Memento("u3", datetime(2023, 1, 1, tzinfo=UTC)), Memento("u0", None)]
    assert nearest_before(m, datetime(2022, 1, 1, tzinfo=UTC)).uri == "u2"
    assert nearest_before(m, datetime(2021, 1, 1, tzinfo=UTC)).uri == "u2"  # at the moment counts as before
    assert nearest_before(m, datetime(2019, 1, 1, tzinfo=UTC)).uri == "u1"
    assert nearest_before([Memento("u0", None)], T0).uri == "u0"
    assert nearest_before([], T0) is None


@pytest.mark.parametrize("published, expected", [
    ("2022-07-19T10:00:00Z", datetime(2022, 7, 19, 10, tzinfo=UTC)),
    ("2022-07-19T12:00:00+02:00", datetime(2022, 7, 19, 10, tzinfo=UTC)),
    ("2022-07-19", datetime(2022, 7, 19, 23, 59, 59, tzinfo=UTC)),
    ("2022-07-19 garbage", datetime(2022, 7, 19, 23, 59, 59, tzinfo=UTC)),
    ("July 2022", T0), (None, T0), ("", T0),
])
def test_article_moment(published, expected):
    assert article_moment(published, T0) == expected


def test_fetch_without_following_redirects_ends_at_the_timegate_answer(make_fetcher):
    with LoopbackServer({"/tg": Reply(302, headers=(("Location", "/memento"), ("Link", '</memento>; rel="memento"'))),
                         "/memento": Reply(200, body=b"the memento")}) as server:
        fetcher = make_fetcher()
        answer = fetcher.fetch(server.url("/tg"), extra_headers={"Accept-Datetime": http_date(T0)}, follow_redirects=False)
        followed = fetcher.fetch(server.url("/tg"))
    assert answer.failure is None and [e.status for e in answer.exchanges] == [302]
    assert answer.final.header("Link") == '</memento>; rel="memento"'
    assert [e.status for e in followed.exchanges] == [302, 200]
    assert [dict(seen.headers).get("Accept-Datetime") for seen in server.requests] == [http_date(T0), None, None]
