"""Rot that looks alive, through the whole pipeline: round 1 healthy, round 2 rotted, checked until confirmed.

The web is support.rot_traps: meta refresh and script redirects to the root, a redirect to the site's
search page, empty and boilerplate-only pages, expired and for-sale domains in four languages, a 451,
a client-side redirect loop; ordinary rot beside them; and the cases that must keep holding (healthy,
slow, a bot challenge, a corrected page, a trailing-slash redirect, a client-side move, a foreign
soft 404 echoing its path, hijacked spam). Each case's observation is asserted at every round-2 check,
its verdict before confirmation and after it.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta

import pytest

from archiver.pipeline import article_from_cli, open_pipeline, open_store
from archiver.pipeline.rebuild_captures import collect
from archiver.warc.reader import read_records
from support.loopback import LoopbackServer, Reply
from support.rot_traps import CASES, HTML, RotTrapWeb, run_rounds, settings_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("rot-traps") / "archives")
    with ExitStack() as stack:
        web = RotTrapWeb(stack)
        results = run_rounds(web, settings)
    by_case = {case.name: url for url, (_, case) in web.urls.items()}
    return results, by_case, settings


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_observation_and_verdict_after_confirmation(rounds, case):
    results, by_case, _ = rounds
    url = by_case[case.name]
    first, *second = [per_check[url] for per_check in results]
    assert first == ("ok", "alive")  # round 1: every page is the article it was cited for
    assert [observation for observation, _ in second] == [case.observation] * 3
    verdicts = [verdict for _, verdict in second]
    assert verdicts[-1] == case.truth
    if case.truth in ("dead", "rotten"):
        assert verdicts[:2] == ["suspect", "suspect"]  # never before three checks over 72 h


def test_nothing_healthy_is_called_dead_rotten_or_drifted(rounds):
    results, by_case, _ = rounds
    for case in CASES:
        if case.group == "healthy":
            assert all(per_check[by_case[case.name]][1] in ("alive", "moved", "unverifiable") for per_check in results)


def test_drifted_means_a_real_page_with_other_content(rounds):
    results, by_case, _ = rounds
    called = {name for name, url in by_case.items() if results[-1][url][1] == "drifted"}
    assert called == {case.name for case in CASES if case.truth == "drifted"}


def test_a_meta_refresh_is_recorded_as_a_hop_in_the_warc(rounds):
    _, by_case, settings = rounds
    url = by_case["meta_refresh_root"]
    root = url.split("/c0/")[0] + "/"
    with open_store(settings) as store:
        rows = store.captures_for_url(url) + [row for row in store.captures_for_url(root) if row.requested_url == url]
        observations = store.observations_for_url(url)
    hops = sorted((row.fetched_at, row.hop, row.url, row.http_status) for row in rows if row.requested_url == url)
    round_two = [hop for hop in hops if hop[0] > hops[0][0]]
    assert [(hop, target, status) for _, hop, target, status in round_two] == [(0, url, 200), (1, root, 200)] * 3
    assert "redirected to site root" in observations[-1].detail
    records = {record.record_id: record for path in sorted(settings.storage.warc_dir.iterdir())
               for record in read_records(path)}
    for row in rows:
        assert records[row.record_id].record_type in ("response", "revisit")  # a repeated final page: a revisit
        assert records[row.record_id].target_uri == row.url
    requests = [record for record in records.values() if record.record_type == "request" and record.target_uri == root]
    assert len(requests) >= 3  # the reader's way on, asked for like any redirect hop


def test_a_chain_of_refreshes_longer_than_max_redirects_is_a_loop(tmp_path):
    page = lambda n: Reply(headers=HTML, body=f"<meta http-equiv='refresh' content='0; url=/hop/{n + 1}'>".encode())
    with LoopbackServer(host="127.0.0.1") as site:
        site.routes.update({f"/hop/{n}": page(n) for n in range(10)})
        settings = settings_for(tmp_path / "archives", ARCHIVER_FETCH_MAX_REDIRECTS="4")
        with open_pipeline(settings) as pipeline:
            pipeline.archive([article_from_cli(site.url("/hop/0"))])
        with open_store(settings) as store:
            [row] = store.observations_for_url(site.url("/hop/0"))
    assert row.observation == "redirect_loop"
    assert "more than 4 redirects (the last a meta refresh)" in row.detail


def test_rebuild_finds_the_client_side_hops_again(rounds):
    _, by_case, settings = rounds
    url = by_case["meta_refresh_root"]
    root = url.split("/c0/")[0] + "/"
    with open_store(settings) as store:
        rows = [row for row in store.captures_for_url(root) if row.requested_url == url] + store.captures_for_url(url)
    rebuilt = {hop.record.record_id: (hop.requested_url, hop.hop)
               for hop in collect(settings.storage.warc_dir, timedelta(seconds=settings.fetch.total_timeout)).hops}
    assert any(row.hop == 1 for row in rows)
    assert {row.record_id: (row.requested_url, row.hop) for row in rows} == \
        {row.record_id: rebuilt[row.record_id] for row in rows}
