"""Link-health persistence (migration 0002): observations, texts, verdicts. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy
from alembic import command

from archiver.errors import StoreError
from archiver.judge.compare import text_hash
from archiver.models import Article, Capture, ContentChange, Link, Observation, Verdict
from archiver.store import ObservationRow, Store
from archiver.store.migrate import alembic_config, head_revision

T0 = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def make_capture(url: str = "https://ref.example/a", **overrides) -> Capture:
    values = dict(
        url=url, requested_url=url, hop=0, fetched_at=T0, http_status=200, content_type="text/html",
        warc_file="archiver-20240301120000-00001-host-1.warc.gz", warc_offset=0, warc_length=1234,
        record_id=None, payload_digest="sha1:AAAA",
    )
    values.update(overrides)
    return Capture(**values)


def obs(url: str = "https://ref.example/a", checked_at: datetime = T0, observation: str = "ok",
        verdict: str = "alive", **overrides) -> ObservationRow:
    return ObservationRow(url=url, checked_at=checked_at, observation=observation, verdict=verdict, **overrides)


# ---- migration ------------------------------------------------------------------------------------


def test_a_0001_database_upgrades_to_head_keeping_its_rows(database_url):
    engine = sqlalchemy.create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
    with engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0001"
        connection.execute(
            sqlalchemy.text("INSERT INTO articles (url, source, title, added_at) VALUES (:url, 'cli', 'Old', :at)"),
            {"url": "https://news.example/old", "at": datetime(2024, 1, 2, 3, 4, 5)},
        )
        article_id = connection.exec_driver_sql("SELECT id FROM articles").scalar()
        connection.execute(
            sqlalchemy.text("INSERT INTO links (article_id, url, anchor_text, position, supported, first_seen, "
                            "last_seen, verdict) VALUES (:a, 'https://ref.example/1', 'one', 0, :t, :at, :at, 'dead')"),
            {"a": article_id, "t": True, "at": datetime(2024, 1, 2, 3, 4, 5)},
        )
    engine.dispose()

    with Store.open(database_url) as store:
        assert store.schema_revision() == head_revision() == "0012"
        assert store.get_article_id("https://news.example/old") == article_id
        [article] = store.list_articles()
        assert (article["title"], article["added_at"]) == ("Old", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
        [link] = store.links_for_article(article_id)
        assert (link["url"], link["verdict"], link["verdict_since"], link["last_checked_at"]) == (
            "https://ref.example/1", "dead", None, None)
        assert store.due_article_ids(T0) == [article_id]  # new article columns start empty: never checked
        assert store.verdict_counts() == {"dead": 1}
        store.add_observation(obs())  # the new tables work
        store.save_text("ab" * 20, "text")


# ---- texts --------------------------------------------------------------------------------------


def test_save_text_is_idempotent_and_the_first_text_stays(store):
    digest = text_hash("The page, as extracted.")
    assert store.get_text(digest) is None
    store.save_text(digest, "The page, as extracted.")
    store.save_text(digest, "The page, as extracted.")
    store.save_text(digest, "THE PAGE as extracted")  # same normalised hash, different text: the first is kept
    assert store.get_text(digest) == "The page, as extracted."
    long_text = "ü€ paragraph\n\n" * 20_000
    store.save_text(text_hash(long_text), long_text)
    assert store.get_text(text_hash(long_text)) == long_text


def test_save_text_from_threads_racing_on_the_same_hashes(database_url):
    stores = [Store.open(database_url) for _ in range(4)]  # one engine each: really concurrent connections
    barrier = threading.Barrier(4)
    hashes = [f"{n:040x}" for n in range(25)]

    def save(store: Store) -> None:
        barrier.wait(timeout=30)
        for digest in hashes:
            store.save_text(digest, f"text {digest}")

    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(save, stores))
        assert all(stores[0].get_text(digest) == f"text {digest}" for digest in hashes)
    finally:
        for store in stores:
            store.close()


def _save_texts(url: str, barrier) -> None:
    with Store.open(url) as store:
        barrier.wait(timeout=60)
        for n in range(50):
            store.save_text(f"{n:040x}", f"text {n}")


@pytest.mark.slow
def test_save_text_from_two_processes_racing_on_the_same_hashes(database_url):
    Store.open(database_url).close()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(2, mp_context=context) as pool:
        barrier = manager.Barrier(2)
        for future in [pool.submit(_save_texts, database_url, barrier) for _ in range(2)]:
            future.result(timeout=120)
    with Store.open(database_url) as store:
        assert [store.get_text(f"{n:040x}") for n in range(50)] == [f"text {n}" for n in range(50)]


# ---- observations ---------------------------------------------------------------------------------


def test_observations_round_trip_every_field(store):
    run_id = store.start_run("check", T0)
    [capture_id, baseline_id] = store.add_captures([make_capture(record_id="<urn:1>"), make_capture(hop=1)])
    plus_two = timezone(timedelta(hours=2))
    full = obs(checked_at=T0.astimezone(plus_two), observation=Observation.REDIRECTED, verdict=Verdict.MOVED,
               detail="301 to https://ref.example/b", http_status=301, final_url="https://ref.example/b",
               permanent=True, content_change=ContentChange.MINOR, similarity=0.8765432101234567,
               simhash_distance=3, capture_id=capture_id, baseline_capture_id=baseline_id, recovered=True,
               diff="--- baseline\n+++ now\n-a\n+b", run_id=run_id)
    bare = obs(checked_at=T0 + HOUR, observation="timeout", verdict="suspect")
    full_id, bare_id = store.add_observation(full), store.add_observation(bare)
    assert full_id != bare_id
    got_full, got_bare = store.observations_for_url("https://ref.example/a")
    assert got_full == ObservationRow(**{**full.__dict__, "id": full_id})
    assert got_full.checked_at.tzinfo == timezone.utc and got_full.similarity == 0.8765432101234567
    assert type(got_full.observation) is str and got_full.verdict == "moved" and got_full.permanent is True
    assert got_bare == ObservationRow(url="https://ref.example/a", checked_at=T0 + HOUR, observation="timeout",
                                      verdict="suspect", id=bare_id)
    assert (got_bare.permanent, got_bare.similarity, got_bare.recovered, got_bare.detail) == (None, None, False, "")


def test_observations_refuse_naive_times_and_unknown_captures(store):
    with pytest.raises(ValueError, match="naive datetime"):
        store.add_observation(obs(checked_at=datetime(2024, 1, 1)))
    with pytest.raises(StoreError, match="add an observation"):
        store.add_observation(obs(capture_id=12345))
    assert store.observations_for_url("https://ref.example/a") == []


def test_observations_for_url_oldest_first_and_limit_keeps_the_newest(store):
    times = [T0 + 3 * HOUR, T0, T0 + HOUR, T0 + 2 * HOUR]  # inserted out of order
    for n, at in enumerate(times):
        store.add_observation(obs(checked_at=at, detail=str(n)))
    store.add_observation(obs("https://ref.example/other", checked_at=T0 + 9 * HOUR))
    assert [o.checked_at for o in store.observations_for_url("https://ref.example/a")] == sorted(times)
    assert [o.detail for o in store.observations_for_url("https://ref.example/a", limit=2)] == ["3", "0"]
    assert len(store.observations_for_url("https://ref.example/a", limit=10)) == 4
    assert store.observations_for_url("https://ref.example/a", limit=0) == []
    assert store.observations_for_url("https://ref.example/none") == []


def test_latest_observations_newest_per_url(store):
    store.add_observation(obs("https://a.example/", T0, detail="a old"))
    store.add_observation(obs("https://a.example/", T0 + HOUR, detail="a new"))
    store.add_observation(obs("https://a.example/", T0 + HOUR, detail="a same time, later row"))
    store.add_observation(obs("https://b.example/", T0 - HOUR, detail="b"))
    everything = store.latest_observations()
    assert {url: row.detail for url, row in everything.items()} == {
        "https://a.example/": "a same time, later row", "https://b.example/": "b"}
    assert set(store.latest_observations(["https://b.example/", "https://none.example/"])) == {"https://b.example/"}
    assert store.latest_observations([]) == {}
    many = [f"https://x.example/{n}" for n in range(2500)] + ["https://a.example/"]  # more than one IN (...) chunk
    assert list(store.latest_observations(many)) == ["https://a.example/"]


# ---- captures behind observations -----------------------------------------------------------------


def test_baseline_capture_is_the_first_final_2xx_capture_with_text(store):
    url = "https://ref.example/a"
    assert store.baseline_capture(url) is None
    store.add_captures([make_capture(url, http_status=404, text_hash="00" * 20)])  # not 2xx
    store.add_captures([make_capture(url, fetched_at=T0 + HOUR, http_status=200)])  # no text
    # A 200 with text that was not the end of its fetch: the fetch went on to hop 1.
    store.add_captures([make_capture(url, fetched_at=T0 + 2 * HOUR, text_hash="11" * 20),
                        make_capture("https://ref.example/gone", requested_url=url, hop=1,
                                     fetched_at=T0 + 2 * HOUR, http_status=404)])
    # Captured as the final page of another link's fetch (url, not requested_url): not this link's baseline.
    store.add_captures([make_capture("https://ref.example/x"),
                        make_capture(url, requested_url="https://ref.example/x", hop=1, text_hash="22" * 20)])
    # The baseline: a redirect, then the page. Its hop 0 has no text; hop 1 is the final page.
    redirect_id, page_id = store.add_captures([
        make_capture(url, fetched_at=T0 + 3 * HOUR, http_status=301, text_hash=None),
        make_capture("https://ref.example/a2", requested_url=url, hop=1, fetched_at=T0 + 3 * HOUR,
                     text_hash="33" * 20, text_fingerprint=-5, record_id="<urn:page>"),
    ])
    store.add_captures([make_capture(url, fetched_at=T0 + 4 * HOUR, text_hash="44" * 20)])  # a later one
    baseline_id, baseline = store.baseline_capture(url)
    assert baseline_id == page_id
    assert (baseline.url, baseline.hop, baseline.text_hash, baseline.text_fingerprint) == (
        "https://ref.example/a2", 1, "33" * 20, -5)
    assert baseline.fetched_at == T0 + 3 * HOUR and baseline.fetched_at.tzinfo == timezone.utc
    assert store.capture_id_for_record("<urn:page>") == page_id
    assert store.capture_id_for_record("<urn:missing>") is None


# ---- verdicts and schedules -----------------------------------------------------------------------


def _two_articles_sharing_a_link(store) -> tuple[int, int]:
    a, _ = store.add_article(Article("https://news.example/a"), T0)
    b, _ = store.add_article(Article("https://news.example/b"), T0)
    store.replace_links(a, [Link("https://ref.example/1", "one", 0), Link("https://ref.example/2", "two", 1),
                            Link("mailto:x@y.example", "mail", 2, supported=False)], T0)
    store.replace_links(b, [Link("https://ref.example/1", "one", 0), Link("https://ref.example/3", "three", 1)], T0)
    return a, b


def test_set_link_health_moves_verdict_since_only_when_the_verdict_changes(store):
    a, b = _two_articles_sharing_a_link(store)
    url = "https://ref.example/1"

    def health(article_id: int) -> tuple:
        row = next(row for row in store.links_for_article(article_id) if row["url"] == url)
        return row["verdict"], row["verdict_since"], row["last_checked_at"], row["next_check_at"]

    store.set_link_health(url, "suspect", T0, T0 + HOUR)
    assert health(a) == health(b) == ("suspect", T0, T0, T0 + HOUR)  # every links row of the URL
    store.set_link_health(url, Verdict.SUSPECT, T0 + HOUR, T0 + 2 * HOUR)
    assert health(a) == ("suspect", T0, T0 + HOUR, T0 + 2 * HOUR)  # same verdict: since stays
    store.set_link_health(url, "dead", T0 + 2 * HOUR, T0 + 3 * HOUR)
    assert health(b) == ("dead", T0 + 2 * HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR)
    assert health(b)[1].tzinfo == timezone.utc
    other = next(row for row in store.links_for_article(a) if row["url"] == "https://ref.example/2")
    assert (other["verdict"], other["verdict_since"], other["last_checked_at"]) == (None, None, None)
    store.set_link_health("https://ref.example/unknown", "alive", T0, T0)  # no rows: nothing to do
    with pytest.raises(ValueError, match="naive datetime"):
        store.set_link_health(url, "alive", datetime(2024, 1, 1), T0)


def test_due_link_urls(store):
    a, b = _two_articles_sharing_a_link(store)
    everything = ["https://ref.example/1", "https://ref.example/2", "https://ref.example/3"]  # never mailto:
    assert store.due_link_urls(T0) == everything  # never checked: due
    store.set_link_health("https://ref.example/1", "alive", T0, T0 + 10 * HOUR)
    store.set_link_health("https://ref.example/2", "suspect", T0, T0 + HOUR)
    assert store.due_link_urls(T0) == ["https://ref.example/3"]
    assert store.due_link_urls(T0 + HOUR) == ["https://ref.example/2", "https://ref.example/3"]  # <= now is due
    assert store.due_link_urls(T0 + 10 * HOUR) == everything
    assert store.due_link_urls(T0, include_not_due=True) == everything
    assert store.due_link_urls(T0 + HOUR, article_id=b) == ["https://ref.example/3"]
    assert store.due_link_urls(T0, article_id=a, include_not_due=True) == everything[:2]
    assert store.due_link_urls(T0, article_id=12345, include_not_due=True) == []


def test_set_article_health_and_due_article_ids(store):
    a, b = _two_articles_sharing_a_link(store)
    assert store.due_article_ids(T0) == [a, b]
    store.set_article_health(a, "dead", T0, T0 + HOUR)
    assert store.due_article_ids(T0) == [b]
    assert store.due_article_ids(T0 + HOUR) == [a, b]
    assert store.due_article_ids(T0, include_not_due=True) == [a, b]
    store.set_article_health(b, None, T0, T0 + 2 * HOUR)
    assert store.due_article_ids(T0 + HOUR) == [a]
    with pytest.raises(StoreError, match="no article with id 999"):
        store.set_article_health(999, "alive", T0, T0)


def test_verdict_counts_over_distinct_urls(store):
    assert store.verdict_counts() == {}
    _two_articles_sharing_a_link(store)
    assert store.verdict_counts() == {"unchecked": 4}  # ref 1 (in both articles) once; mailto: too
    store.set_link_health("https://ref.example/1", "alive", T0, T0)
    store.set_link_health("https://ref.example/2", "alive", T0, T0)
    store.set_link_health("https://ref.example/3", "dead", T0, T0)
    assert store.verdict_counts() == {"alive": 2, "dead": 1, "unchecked": 1}
    # Per reference, ref 1 counts once for each article that cites it.
    assert store.reference_verdict_counts() == {"alive": 3, "dead": 1, "unchecked": 1}


def test_observation_history_counts_verdicts_per_run(store):
    first = store.start_run("check", T0)
    second = store.start_run("check", T0 + 24 * HOUR)
    store.start_run("archive", T0 + 25 * HOUR)  # no observations: not in the history
    for verdict in ("alive", "alive", "dead"):
        store.add_observation(obs(verdict=verdict, run_id=first))
    store.add_observation(obs(checked_at=T0 + 24 * HOUR, verdict="suspect", run_id=second))
    store.add_observation(obs(verdict="alive"))  # outside any run
    assert store.observation_history() == [
        {"run_id": first, "kind": "check", "started_at": T0, "counts": {"alive": 2, "dead": 1}},
        {"run_id": second, "kind": "check", "started_at": T0 + 24 * HOUR, "counts": {"suspect": 1}},
    ]
    assert [entry["run_id"] for entry in store.observation_history(since=T0 + HOUR)] == [second]
