"""Link health over several checks on a loopback web where every behaviour is a named fixture.

An article links to one URL per scenario. It is archived (the first check), then
checked again 36 h and 72 h later with an injected clock. Each scenario asserts
its observation at every check and its verdict after each, so nothing is called
dead or rotten before three failing checks spanning 72 hours, and flaky, blocked
and rate-limited links never become dead.
"""

from __future__ import annotations

import itertools
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from archiver.pipeline import article_from_cli, open_pipeline, open_store
from archiver.settings import load_settings
from support.articles import ARTICLE_TEXT, EDITED_TEXT, FOOTBALL, SENTENCES, SOFT_404, page
from support.loopback import LoopbackServer, RawServer, Reply, closed_port, read_request_head

HTML = (("Content-Type", "text/html; charset=utf-8"),)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
CHECK_TIMES = [T0, T0 + timedelta(hours=36), T0 + timedelta(hours=72)]


PARKED = (b"<html><head><title>example-news.test is for sale</title></head><body>"
          b"<h1>This domain is for sale!</h1><p>Buy this domain today. Domain parking by Sedo.</p></body></html>")


@dataclass(frozen=True)
class Scenario:
    name: str
    observations: tuple[str, str, str]  # at each of the three checks
    verdicts: tuple[str, str, str]  # after each check


SCENARIOS = [
    Scenario("stable", ("ok",) * 3, ("alive",) * 3),
    Scenario("trivial", ("ok",) * 3, ("alive",) * 3),
    Scenario("moved", ("redirected",) * 3, ("moved",) * 3),
    Scenario("to_home", ("redirect_to_root",) * 3, ("suspect", "suspect", "rotten")),
    Scenario("soft_404", ("soft_404",) * 3, ("suspect", "suspect", "rotten")),
    Scenario("not_found", ("not_found",) * 3, ("suspect", "suspect", "dead")),
    Scenario("gone", ("gone",) * 3, ("suspect", "suspect", "dead")),
    Scenario("drifted", ("ok",) * 3, ("alive", "drifted", "drifted")),
    Scenario("off_topic", ("ok",) * 3, ("alive", "drifted", "drifted")),
    Scenario("flaky", ("server_error", "ok", "ok"), ("suspect", "alive", "alive")),
    Scenario("flaky_within_check", ("ok",) * 3, ("alive",) * 3),
    Scenario("rate_limited", ("rate_limited",) * 3, ("unverifiable",) * 3),
    Scenario("bot_blocked", ("blocked",) * 3, ("unverifiable",) * 3),
    Scenario("head_405", ("ok",) * 3, ("alive",) * 3),
    Scenario("hang", ("timeout",) * 3, ("suspect", "suspect", "dead")),
    Scenario("drip", ("ok",) * 3, ("alive",) * 3),
    Scenario("refused", ("connection_error",) * 3, ("suspect", "suspect", "dead")),
    Scenario("invalid_host", ("dns_error",) * 3, ("suspect", "suspect", "dead")),
    Scenario("redirect_loop", ("redirect_loop",) * 3, ("suspect", "suspect", "dead")),
    Scenario("parked", ("parked",) * 3, ("suspect", "suspect", "rotten")),
    Scenario("large_pdf", ("ok",) * 3, ("alive",) * 3),
]


class LoopbackWeb:
    """The scenario servers; `check` is the index of the check being served (the content of some pages depends on it)."""

    def __init__(self, stack: ExitStack):
        self.check = 0
        self.counter = itertools.count()
        self.flaky_hits = itertools.count()
        self.site = stack.enter_context(LoopbackServer(host="127.0.0.1"))
        self.soft = stack.enter_context(LoopbackServer(host="127.0.0.2"))
        self.soft.fallback = Reply(headers=HTML, body=SOFT_404)
        self.hang = stack.enter_context(RawServer(self._hang))
        self.drip = stack.enter_context(RawServer(self._drip))
        self.stop = threading.Event()
        self.refused_port = stack.enter_context(closed_port())
        s = self.site
        s.routes.update({
            "/": Reply(headers=HTML, body=page("Home", SENTENCES[:3])),
            "/stable.html": Reply(headers=HTML, body=page("Stable", ARTICLE_TEXT)),
            "/trivial.html": lambda seen: Reply(headers=HTML, body=self._trivial()),
            "/moved/old.html": Reply(301, headers=(("Location", "/moved/new.html"),)),
            "/moved/new.html": Reply(headers=HTML, body=page("Moved", ARTICLE_TEXT)),
            "/deep/section/story.html": Reply(302, headers=(("Location", "/"),)),
            "/missing.html": Reply(404, headers=HTML, body=b"<h1>Not Found</h1>"),
            "/gone.html": Reply(410, headers=HTML, body=b"<h1>Gone</h1>"),
            "/drifted.html": lambda seen: Reply(headers=HTML, body=page("Council", ARTICLE_TEXT if self.check == 0 else EDITED_TEXT)),
            "/off-topic.html": lambda seen: Reply(headers=HTML, body=page("Council", ARTICLE_TEXT if self.check == 0 else FOOTBALL)),
            "/flaky.html": lambda seen: Reply(503 if self.check == 0 else 200, headers=HTML, body=page("Flaky", ARTICLE_TEXT)),
            "/flaky-once.html": lambda seen: Reply(500 if next(self.flaky_hits) % 2 == 0 else 200, headers=HTML, body=page("Flaky once", ARTICLE_TEXT)),
            "/rate-limited.html": Reply(429, headers=(("Retry-After", "1"),), body=b"slow down"),
            "/bot-blocked.html": lambda seen: self._ua_gate(seen),
            "/head-405.html": lambda seen: Reply(405) if seen.method == "HEAD" else Reply(headers=HTML, body=page("Head", ARTICLE_TEXT)),
            "/loop/a": Reply(302, headers=(("Location", "/loop/b"),)),
            "/loop/b": Reply(302, headers=(("Location", "/loop/a"),)),
            "/parked.html": Reply(headers=HTML, body=PARKED),
            "/report.pdf": Reply(headers=(("Content-Type", "application/pdf"),), body=b"%PDF-1.4\n" + b"0" * 3_000_000),
        })

    def _trivial(self) -> bytes:
        n = next(self.counter)
        extra = f"<p class='meta'>Updated {n} minutes ago · {1000 + n * 37} views · session a{n:08x}f3c9</p>"
        return page("Trivial", ARTICLE_TEXT, extra)

    @staticmethod
    def _ua_gate(seen) -> Reply:
        agent = dict((k.lower(), v) for k, v in seen.headers).get("user-agent", "")
        return Reply(403, body=b"Forbidden") if "archiver" in agent.lower() else Reply(headers=HTML, body=page("UA", ARTICLE_TEXT))

    def _hang(self, conn, stop) -> None:
        read_request_head(conn)
        stop.wait(30)  # accept, read, never answer

    def _drip(self, conn, stop) -> None:
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html><body><p>")
        while not stop.wait(0.2):
            conn.sendall(b"x")

    def urls(self) -> dict[str, str]:
        s = self.site
        return {
            "stable": s.url("/stable.html"), "trivial": s.url("/trivial.html"), "moved": s.url("/moved/old.html"),
            "to_home": s.url("/deep/section/story.html"), "soft_404": self.soft.url("/news/2021/a-story.html"),
            "not_found": s.url("/missing.html"), "gone": s.url("/gone.html"), "drifted": s.url("/drifted.html"),
            "off_topic": s.url("/off-topic.html"), "flaky": s.url("/flaky.html"), "flaky_within_check": s.url("/flaky-once.html"),
            "rate_limited": s.url("/rate-limited.html"), "bot_blocked": s.url("/bot-blocked.html"),
            "head_405": s.url("/head-405.html"), "hang": self.hang.url("/slow"), "drip": self.drip.url("/drip"),
            "refused": f"http://127.0.0.1:{self.refused_port}/x", "invalid_host": "http://no-such-host.invalid/page",
            "redirect_loop": s.url("/loop/a"), "parked": s.url("/parked.html"), "large_pdf": s.url("/report.pdf"),
        }

    def article(self) -> bytes:
        links = "".join(
            f"<p>Paragraph about {name.replace('_', ' ')}: as <a href=\"{url}\">this source</a> reported in detail, "
            f"the situation developed over several months and was widely discussed.</p>"
            for name, url in self.urls().items()
        )
        return (f"<!doctype html><html><head><title>Link health</title></head><body><article><h1>Link health</h1>"
                f"{links}</article></body></html>").encode()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Archive once, check twice more; return per-URL (observation, verdict) after each check."""
    data_dir = tmp_path_factory.mktemp("health") / "archives"
    env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_TOTAL_TIMEOUT": "1.5s",
           "ARCHIVER_FETCH_READ_TIMEOUT": "1s", "ARCHIVER_FETCH_RETRIES": "1", "ARCHIVER_FETCH_RETRY_BACKOFF": "0.05s",
           "ARCHIVER_FETCH_MAX_BODY_BYTES": "1MB", "ARCHIVER_FETCH_RETRY_AFTER_CAP": "2s",
           "ARCHIVER_FETCH_PER_HOST_DELAY": "0s"}
    settings = load_settings(env=env, overrides={"storage.data_dir": str(data_dir)})
    with ExitStack() as stack:
        web = LoopbackWeb(stack)
        web.site.routes["/article.html"] = Reply(headers=HTML, body=web.article())
        urls = web.urls()
        now = {"t": CHECK_TIMES[0]}
        results = []
        for index, when in enumerate(CHECK_TIMES):
            web.check, now["t"] = index, when
            with open_pipeline(settings, clock=lambda: now["t"], sleep=lambda s: None) as pipeline:
                if index == 0:
                    pipeline.archive([article_from_cli(web.site.url("/article.html"))])
                    summary = None
                else:
                    due_before = _due(settings, when)
                    summary = pipeline.check(include_not_due=True)  # every scenario observed at every check
            with open_store(settings) as store:
                latest = store.latest_observations(list(urls.values()))
            results.append(({name: (latest[url].observation, latest[url].verdict) for name, url in urls.items()}, summary))
            if index == 1:
                first_due = due_before
        yield results, urls, settings, first_due


def _due(settings, when) -> set[str]:
    with open_store(settings) as store:
        return set(store.due_link_urls(when))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_observation_and_verdict_after_each_check(history, scenario):
    results, *_ = history
    got = [per_check[scenario.name] for per_check, _ in results]
    assert [o for o, _ in got] == list(scenario.observations)
    assert [v for _, v in got] == list(scenario.verdicts)


def test_flaky_blocked_and_rate_limited_links_are_never_dead(history):
    results, *_ = history
    for per_check, _ in results:
        for name in ("flaky", "flaky_within_check", "rate_limited", "bot_blocked"):
            assert per_check[name][1] not in ("dead", "rotten"), name


def test_check_summaries_report_what_changed(history):
    results, urls, *_ = history
    second, third = results[1][1], results[2][1]
    assert urls["flaky"] in second.recovered
    assert urls["drifted"] in second.newly_drifted and urls["off_topic"] in second.newly_drifted
    assert set(third.newly_dead) == {urls[n] for n in ("not_found", "gone", "hang", "refused", "invalid_host", "redirect_loop")}
    assert set(third.newly_rotten) == {urls[n] for n in ("to_home", "soft_404", "parked")}
    assert not second.newly_dead and not second.newly_rotten


def test_scores_and_evidence_are_stored(history):
    _, urls, settings, _ = history
    with open_store(settings) as store:
        trivial = store.observations_for_url(urls["trivial"])
        drifted = store.observations_for_url(urls["drifted"])
        off_topic = store.observations_for_url(urls["off_topic"])
        assert {row.content_change for row in trivial[1:]} <= {"unchanged", "minor"}
        assert all(row.similarity is not None and row.similarity >= 0.85 for row in trivial[1:])
        assert drifted[-1].content_change == "drifted" and drifted[-1].similarity < 0.85
        assert off_topic[-1].content_change == "off_topic"
        for row in trivial + drifted:
            assert row.capture_id is not None and row.baseline_capture_id is not None
        print("\nsimilarity trivial:", [round(r.similarity, 3) for r in trivial],
              "drifted:", [round(r.similarity, 3) for r in drifted],
              "off_topic:", [round(r.similarity, 3) for r in off_topic])


def test_only_failing_links_are_due_36_hours_after_the_first_check(history):
    results, urls, _, first_due = history
    failing = {urls[name] for name, (_, verdict) in results[0][0].items() if verdict == "suspect"}
    assert failing and first_due == failing  # alive, moved and unverifiable links wait recheck_alive (7 d)


def test_every_warc_of_the_three_checks_validates(history):
    from support.warc_audit import audit_warc

    _, _, settings, _ = history
    files = sorted(settings.storage.warc_dir.iterdir())
    assert files and not [f for f in files if f.name.endswith(".open")]
    records = [record for path in files for record in audit_warc(path)]
    truncated = {r["truncated"] for r in records if r.get("truncated")}
    assert truncated == {"time", "length"}, "the drip and the large PDF are kept, marked WARC-Truncated"
