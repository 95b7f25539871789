"""The review UI's queries (store/browse.py, store/overrides.py) on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archiver.models import Article, Link
from archiver.store import ArticleFilter, LinkOverride, ObservationRow

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def filled(store):
    ids = []
    for n, (host, title) in enumerate([("news.example", "Council budget 100%"), ("NEWS.example:8443", "Tram plan"),
                                       ("other.example", "Budget_cuts")]):
        article_id, _ = store.add_article(Article(url=f"https://{host}/{n}", source="t", seed_title=title,
                                                  seed_date=f"2026-01-0{n + 1}"), T0)
        ids.append(article_id)
        store.replace_links(article_id, [Link("https://ref.example/a", "a", 0), Link(f"http://Ref{n}.example:81/x", "x", 1),
                                         Link("mailto:desk@news.example", "mail", 2, supported=False)], T0)
    store.add_observation(ObservationRow(url="https://ref.example/a", checked_at=T0, observation="not_found",
                                         verdict="suspect"))
    store.set_link_health("https://ref.example/a", "dead", T0 + timedelta(hours=1), T0 + timedelta(days=1))
    return ids


def test_search_matches_text_without_wildcards_and_filters(store, filled):
    def titles(**wanted):
        return [row["seed_title"] for row in store.search_articles(ArticleFilter(**wanted), after_id=None, limit=10)]

    assert titles(text="budget") == ["Budget_cuts", "Council budget 100%"]  # newest first, any case
    assert titles(text="100%") == ["Council budget 100%"] and titles(text="t_c") == ["Budget_cuts"]
    assert titles(text="%") == ["Council budget 100%"]  # % and _ are text, not wildcards
    assert titles(host="news.example") == ["Council budget 100%"]
    assert titles(date_from="2026-01-02", date_to="2026-01-03") == ["Budget_cuts", "Tram plan"]
    assert titles(verdict="unchecked") == ["Budget_cuts", "Tram plan", "Council budget 100%"]
    [first] = store.search_articles(ArticleFilter(text="tram"), after_id=None, limit=10)
    assert (first["link_count"], first["failing_count"]) == (3, 1)
    assert [row["id"] for row in store.search_articles(ArticleFilter(), after_id=filled[2], limit=1)] == [filled[1]]


def test_hosts_totals_and_changes(store, filled):
    hosts = {(host, verdict): n for host, verdict, n in store.links_by_host_and_verdict()}
    assert hosts[("ref.example", "dead")] == 3
    assert hosts[("ref1.example:81", None)] == 1
    assert hosts[("(not http)", None)] == 3
    articles, by_verdict = store.link_verdict_totals()
    assert (articles, by_verdict) == (3, {"dead": 3, None: 6})
    changes = store.recent_link_changes(T0, 10)
    assert {row["url"] for row in changes} == {"https://ref.example/a"} and len(changes) == 3
    assert store.recent_observations(["https://ref.example/a"], 5)["https://ref.example/a"][0].verdict == "suspect"
    assert len(store.citing_articles("https://ref.example/a", 10)) == 3


def test_an_override_is_kept_replaced_and_cleared(store, filled):
    before = store.data_version()
    store.set_override(LinkOverride("https://ref.example/a", "ignore", "paywall", "Ana", T0))
    store.set_override(LinkOverride("https://ref.example/a", "fine", "", "Bo", T0 + timedelta(hours=1)))
    assert store.data_version() != before
    assert store.overrides_for(["https://ref.example/a", "https://nothing"]) == {
        "https://ref.example/a": LinkOverride("https://ref.example/a", "fine", "", "Bo", T0 + timedelta(hours=1))}
    with pytest.raises(ValueError, match="unknown override"):
        store.set_override(LinkOverride("https://ref.example/a", "whatever", "", "", T0))
    assert store.clear_override("https://ref.example/a") and not store.clear_override("https://ref.example/a")
    assert store.overrides_for() == {}
