"""The review UI through Flask's test client: escaping, headers, CSRF and login, overrides in reports, keyset pages."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from archiver.models import Article
from archiver.report import build_report, formatter_for
from archiver.store import ArticleFilter, Store
from archiver.web.app import CONTENT_SECURITY_POLICY, create_app
from archiver.web.jobs import JobRunner
from support.report_history import HOSTILE, HOSTILE_TITLE, shared_report_history, validated_report
from support.web_ui import TOKEN, history_copy

NOW = datetime(2026, 1, 9, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    return shared_report_history(tmp_path_factory)


@pytest.fixture
def ui(history, tmp_path):
    settings = history_copy(history, tmp_path)
    with Store.open(settings.storage.database_url) as store:
        jobs = JobRunner(settings)
        app = create_app(settings, store, jobs=jobs, background_counts=False)
        yield app.test_client(), store, settings
        jobs.close()


class _Text(HTMLParser):
    """Every start tag and the text inside <h1>."""

    def __init__(self, html: str):
        super().__init__()
        self.tags, self.h1, self._in_h1 = [], "", False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_h1 = tag == "h1"

    def handle_endtag(self, tag):
        self._in_h1 = self._in_h1 and tag != "h1"

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data


def _csrf(client, path="/") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _login(client) -> str:
    csrf = _csrf(client, "/login")
    assert client.post("/login", data={"csrf": csrf, "token": TOKEN, "name": "Ana"}).status_code == 303
    return _csrf(client)


def test_a_hostile_title_renders_as_text_and_no_page_has_a_script(ui, history):
    client, store, _ = ui
    article_id = store.get_article_id(history.hostile_article_url)
    html = client.get(f"/articles/{article_id}").get_data(as_text=True)
    page = _Text(html)
    assert page.h1 == HOSTILE_TITLE  # the payloads, as text
    assert "script" not in page.tags and "img" not in page.tags and "svg" not in page.tags
    for payload in HOSTILE:
        assert payload not in html
    listing = client.get("/articles?q=Council").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing and "script" not in _Text(listing).tags


@pytest.mark.parametrize("path", ["/", "/articles", "/articles/1", "/hosts", "/jobs", "/login", "/link?url=x"])
def test_every_page_carries_the_strict_policy(ui, path):
    client, _, _ = ui
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY and "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_post_without_the_csrf_token_or_without_a_login_is_refused(ui):
    client, _, _ = ui
    assert client.post("/actions/archive", data={"url": "http://127.0.0.1:9/"}).status_code == 400
    csrf = _csrf(client)
    refused = client.post("/actions/archive", data={"url": "http://127.0.0.1:9/", "csrf": csrf})
    assert refused.status_code == 403 and "log in to act" in refused.get_data(as_text=True)
    assert client.post("/login", data={"csrf": csrf, "token": "wrong"}).status_code == 403
    csrf = _login(client)
    assert client.post("/actions/override", data={"url": "x", "kind": "ignore"}).status_code == 400  # no token
    assert client.post("/actions/override", data={"url": "x", "kind": "ignore", "csrf": "forged"}).status_code == 400


def test_a_foreign_host_name_is_refused_unless_public(ui, history):
    client, _, _ = ui
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 421
    assert client.get("/", headers={"Host": "127.0.0.1:8090"}).status_code == 200


def test_an_override_persists_and_shows_in_every_report(ui, history):
    client, store, settings = ui
    dead = history.urls["not_found"]
    before = build_report(store, settings, now=NOW)
    failing_before = len(before.failing())  # a report reads its articles when walked: count them now
    assert dead in {link.url for _, link in before.failing()}
    csrf = _login(client)
    answer = client.post("/actions/override", data={"url": dead, "kind": "ignore", "note": "paywalled", "csrf": csrf})
    assert answer.status_code == 303
    after = build_report(store, settings, now=NOW)
    assert len(after.failing()) == failing_before - 1
    assert after.summary.failing == before.summary.failing - 1
    assert dead not in {link.url for _, link in after.failing()}
    report = validated_report(formatter_for("json")(after))
    [link] = [link for article in report["articles"] for link in article["links"] if link["url"] == dead]
    assert (link["verdict"], link["override"]) == ("dead", "ignore")
    assert "dead (ignore)" in formatter_for("markdown")(after)
    # The default HTML lists failing references only, which an overridden link no longer is; --all shows it.
    assert "reviewer: ignore" not in formatter_for("html")(after)
    assert "reviewer: ignore" in formatter_for("html")(build_report(store, settings, now=NOW, complete=True))
    assert ",ignore" in formatter_for("csv")(after)
    link_page = client.get(f"/link?url={dead}").get_data(as_text=True)
    assert "paywalled" in link_page and "Ana" in link_page
    client.post("/actions/override", data={"url": dead, "kind": "clear", "csrf": csrf})
    assert len(build_report(store, settings, now=NOW).failing()) == len(before.failing())


def test_articles_are_paged_by_key_and_filtered(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'a.db'}") as store:
        for n in range(130):
            store.add_article(Article(url=f"https://{'a' if n % 2 else 'b'}.example/{n}", source="t",
                                      seed_title=f"Story {n}", seed_date=(NOW + timedelta(days=n)).date().isoformat()),
                              NOW)
        seen, after = [], None
        for _ in range(10):  # bounded: 130 articles in pages of 50
            page = store.search_articles(ArticleFilter(), after_id=after, limit=50)
            if not page:
                break
            seen += [row["id"] for row in page]
            after = page[-1]["id"]
        assert seen == sorted(seen, reverse=True) and len(set(seen)) == 130
        hosts = {row["url"].split("/")[2] for row in store.search_articles(ArticleFilter(host="a.example"),
                                                                           after_id=None, limit=200)}
        assert hosts == {"a.example"}
        dated = store.search_articles(ArticleFilter(date_from="2026-01-19", date_to="2026-01-20"), after_id=None,
                                      limit=200)
        assert sorted(row["seed_title"] for row in dated) == ["Story 10", "Story 11"]
        assert [row["seed_title"] for row in store.search_articles(ArticleFilter(text="story 12_"), after_id=None,
                                                                   limit=5)] == []  # _ is no wildcard
        assert len(store.search_articles(ArticleFilter(verdict="unchecked"), after_id=None, limit=500)) == 130


def test_the_dashboard_and_hosts_count_what_the_report_counts(ui, history):
    client, store, settings = ui
    report = json.loads(formatter_for("json")(build_report(store, settings, now=NOW)))
    html = client.get("/").get_data(as_text=True)
    for verdict, n in report["summary"]["by_verdict"].items():
        assert re.search(rf'id="count-{verdict}">{n}<', html), verdict
    hosts = client.get("/hosts").get_data(as_text=True)
    assert "127.0.0.1:" in hosts
