"""The report's store queries and builder on SQLite and PostgreSQL, over a small history written row by row."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from archiver.models import Article, Capture, Link
from archiver.report import build_report, formatter_for
from archiver.settings import load_settings
from archiver.store import ObservationRow, Store
from support.report_history import validated_report

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
ARTICLE = "https://news.test/story"
STAY, DIE, EDIT = "https://ref.test/stay", "https://ref.test/die", "https://ref.test/edit"
BASELINE = "The council approved the budget.\n\nBuses will run every ten minutes on the northern routes."
EDITED = "The council approved the budget.\n\nThe tram extension was cancelled after the grant fell through."


def _capture(url: str, when: datetime, status: int | None, run_id: int, text_hash: str | None = None) -> Capture:
    return Capture(url=url, requested_url=url, hop=0, fetched_at=when, http_status=status, content_type="text/html",
                   warc_file="archiver-1.warc.gz" if status else None, warc_offset=100 if status else None,
                   warc_length=50 if status else None, record_id=f"<urn:uuid:{url.rsplit('/', 1)[1]}-{run_id}>" if status else None,
                   payload_digest=None, text_hash=text_hash, run_id=run_id)


def _check(store: Store, when: datetime, results: dict[str, tuple[int | None, str, str, str | None]]) -> int:
    """One run: for each URL (status, observation, verdict, text or None) a capture, an observation, its verdict."""
    run_id = store.start_run("check", when)
    for url, (status, observation, verdict, text) in results.items():
        hash_ = f"hash-{abs(hash(text)) % 10**8}" if text else None
        if text:
            store.save_text(hash_, text)
        baseline = store.baseline_capture(url)
        capture_id = store.add_captures([_capture(url, when, status, run_id, hash_)])[0]
        change = None if not text or baseline is None else ("unchanged" if text == BASELINE else "drifted")
        store.add_observation(ObservationRow(
            url=url, checked_at=when, observation=observation, verdict=verdict, http_status=status,
            final_url=url if status else None, content_change=change, similarity=None if change is None else 0.4,
            capture_id=capture_id, baseline_capture_id=baseline[0] if baseline else None, run_id=run_id))
        store.set_link_health(url, verdict, when, when + DAY)
    store.finish_run(run_id, "ok", {}, when)
    return run_id


def test_report_from_rows_on_both_backends(store):
    article_id, _ = store.add_article(Article(url=ARTICLE, source="cli", seed_title="The story"), T0)
    store.replace_links(article_id, [Link(STAY, "stays", 0), Link(DIE, "dies", 1), Link(EDIT, "is edited", 2)], T0)
    _check(store, T0, {STAY: (200, "ok", "alive", BASELINE), DIE: (404, "not_found", "suspect", None),
                       EDIT: (200, "ok", "alive", BASELINE)})
    _check(store, T0 + 2 * DAY, {STAY: (200, "ok", "alive", BASELINE), DIE: (404, "not_found", "dead", None),
                                 EDIT: (200, "ok", "drifted", EDITED)})
    settings = load_settings(env={}, overrides={"report.replay_url": "https://replay.test/{timestamp}/{url}"})

    data = build_report(store, settings, now=T0 + 3 * DAY)

    [article] = data.articles
    assert article.title == "The story" and [link.url for link in article.links] == [STAY, DIE, EDIT]
    assert {link.url: link.verdict for link in article.links} == {STAY: "alive", DIE: "dead", EDIT: "drifted"}
    assert {(c.kind, c.url, c.verdict_before) for c in data.changes.links} == {("newly_dead", DIE, "suspect"),
                                                                               ("newly_drifted", EDIT, "alive")}
    assert [run.counts for run in data.history] == [{"suspect": 1, "alive": 2}, {"dead": 1, "drifted": 1, "alive": 1}]
    edit = article.links[2]
    assert edit.diff is not None and "-Buses will run" in edit.diff and "+The tram extension" in edit.diff
    assert edit.archived_copy.replay_url == f"https://replay.test/20260202090000/{EDIT}"
    assert [capture.record_id for capture in edit.captures] == [f"<urn:uuid:edit-{r}>" for r in (1, 2)]
    dead = article.links[1]
    assert dead.archived_copy is None and [capture.http_status for capture in dead.captures] == [404, 404]
    report = validated_report(formatter_for("json")(data))
    assert report["summary"] == {"articles": 1, "references": 3, "by_verdict": {"dead": 1, "drifted": 1, "alive": 1},
                                 "failing": 2}

    since_start = build_report(store, settings, now=T0 + 3 * DAY, since=T0 - DAY, article_url=ARTICLE)
    assert {(c.kind, c.url, c.verdict_before) for c in since_start.changes.links} == {
        ("newly_dead", DIE, "unchecked"), ("newly_drifted", EDIT, "unchecked")}
    with pytest.raises(LookupError):
        build_report(store, settings, now=T0, article_url="https://news.test/other")


def test_report_of_an_empty_store(store):
    data = build_report(store, load_settings(env={}), now=T0)
    assert list(data.articles) == [] and data.history == () and data.changes.since is None
    for name in ("table", "json", "csv", "markdown", "junit", "html"):
        assert formatter_for(name)(data)
    validated_report(formatter_for("json")(data))
