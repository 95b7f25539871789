"""An article the user registered and a reference are captured differently, through one Capturer.

Articles may bypass robots.txt (robots_ignore_for_articles) and have their free text
searched for a publication date; references never do either.
"""

from __future__ import annotations

import pytest

from archiver.pipeline import article_from_cli, open_pipeline, open_store
from archiver.settings import load_settings
from support.articles import DATE_IN_TEXT_ONLY
from support.loopback import LoopbackServer, Reply

HTML = (("Content-Type", "text/html; charset=utf-8"),)


def article_page(reference: str) -> bytes:
    return DATE_IN_TEXT_ONLY.replace(b"More paragraphs", f'<a href="{reference}">The report</a> and more paragraphs'.encode())


@pytest.mark.parametrize("ignore_for_articles", [True, False])
def test_robots_bypass_and_date_search_apply_to_articles_only(tmp_path, ignore_for_articles):
    with LoopbackServer(host="127.0.0.1") as site:
        site.routes["/robots.txt"] = Reply(200, headers=(("Content-Type", "text/plain"),), body=b"User-agent: *\nDisallow: /\n")
        site.routes["/notes/1"] = Reply(200, headers=HTML, body=article_page(site.url("/reports/2")))
        site.routes["/reports/2"] = Reply(200, headers=HTML, body=DATE_IN_TEXT_ONLY)
        env = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
               "ARCHIVER_FETCH_ROBOTS_IGNORE_FOR_ARTICLES": str(ignore_for_articles).lower()}
        settings = load_settings(env=env, overrides={"storage.data_dir": str(tmp_path / "archives")})
        with open_pipeline(settings) as pipeline:
            [summary] = pipeline.archive([article_from_cli(site.url("/notes/1"))])
        requested = [seen.path for seen in site.requests]

    with open_store(settings) as store:
        [article] = store.report_article_page(None, 10)
        observations = {url: row.observation for url, row in store.latest_observations().items()}
    if ignore_for_articles:
        assert summary.captured and article["published"] == "2021-03-14"  # the date found in the text
        assert observations[site.url("/reports/2")] == "robots_disallowed"  # the reference still obeys
        assert "/notes/1" in requested and "/reports/2" not in requested
    else:
        assert not summary.captured and observations[site.url("/notes/1")] == "robots_disallowed"
        assert "/notes/1" not in requested
