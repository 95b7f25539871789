"""The store on both backends: every test taking `database_url` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import socket
import sqlite3
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from archiver.errors import DatabaseLost, StoreError
from archiver.models import Article, Capture, Extracted, Link, Observation
from archiver.store import ArticleFilter, Store
from archiver.store.migrate import SCHEMA_HEAD, head_revision
from archiver.store.schema import metadata

TRIGRAM_INDEXES = ("ix_articles_title_trgm", "ix_articles_seed_title_trgm", "ix_articles_url_trgm")

T0 = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def make_capture(url: str = "https://ref.example/a", **overrides) -> Capture:
    values = dict(
        url=url, requested_url=url, hop=0, fetched_at=T0, http_status=200, content_type="text/html",
        warc_file="archiver-20240301120000-00001-host-1.warc.gz", warc_offset=0, warc_length=1234,
        record_id="<urn:uuid:00000000-0000-0000-0000-000000000001>", payload_digest="sha1:AAAA",
    )
    values.update(overrides)
    return Capture(**values)


def test_a_database_at_head_opens_without_alembic(tmp_path):
    # The short cut in upgrade_to_head trusts SCHEMA_HEAD; a stale constant would skip a migration.
    url = f"sqlite:///{tmp_path / 'at-head.db'}"
    Store.open(url).close()
    script = ("import sys\nfrom archiver.store import Store\n"
              f"Store.open({url!r}).close()\n"
              "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def test_open_creates_the_schema_at_head_and_reopening_changes_nothing(database_url):
    with Store.open(database_url) as first:
        assert first.schema_revision() == head_revision() == SCHEMA_HEAD == "0012"
        article_id, _ = first.add_article(Article("https://news.example/story"), T0)
    with Store.open(database_url) as second:
        assert second.schema_revision() == head_revision()
        assert second.get_article_id("https://news.example/story") == article_id


def test_sqlite_file_is_created_with_its_folder_in_wal_mode(tmp_path):
    path = tmp_path / "deep" / "data" / "archiver.db"
    with Store.open(f"sqlite:///{path.as_posix()}"):
        pass
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_in_memory_sqlite_is_one_database_shared_by_threads():
    with Store.open("sqlite://") as store, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: store.add_captures([make_capture(hop=n)]), range(40)))
        assert len(store.captures_for_url("https://ref.example/a")) == 40


def test_schema_module_matches_the_migrations(store, database_url):
    def in_both_backends(candidate, name, type_, reflected, compare_to) -> bool:
        return not (type_ == "index" and name in TRIGRAM_INDEXES)  # PostgreSQL's alone, made by migration 0010

    engine = sqlalchemy.create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": in_both_backends})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_postgresql_searches_articles_by_trigram_index(postgres_url):
    # The review UI's text search (ILIKE '%...%' on three columns) must be one a trigram index can serve.
    with Store.open(postgres_url) as store:
        store.add_article(Article("https://news.example/tram", seed_title="The tram line opens"), T0)
        searches = []
        sqlalchemy.event.listen(store._db.engine, "before_cursor_execute",
                                lambda _c, _cur, statement, parameters, *_: searches.append((statement, parameters)))
        assert store.search_articles(ArticleFilter(text="tram li"), after_id=None, limit=10)
        statement, parameters = next((s, p) for s, p in searches if "ILIKE" in s.upper())
        with store._db.engine.connect() as connection:
            indexed = {row[0] for row in connection.execute(sqlalchemy.text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'articles' AND schemaname = current_schema()"))}
            connection.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: make the planner show
            connection.exec_driver_sql("SET enable_indexscan = off")  # what it could use at scale
            plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
    assert set(TRIGRAM_INDEXES) <= indexed
    assert all(name in plan for name in TRIGRAM_INDEXES), plan


def test_a_schema_newer_than_this_archiver_is_refused(database_url):
    Store.open(database_url).close()
    engine = sqlalchemy.create_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(StoreError, match="revision 9999.*upgrade archiver"):
        Store.open(database_url)


def test_add_article_is_idempotent_by_url_and_keeps_seed_fields(store):
    article_id, created = store.add_article(Article("https://news.example/a", source="cli"), T0)
    assert created
    seeded = Article("https://news.example/a", source="seeds/a.md", seed_title="A", seed_date="2024-01-02",
                     seed_text="Body.")
    assert store.add_article(seeded, T0 + timedelta(hours=1)) == (article_id, False)
    assert store.add_article(Article("https://news.example/a"), T0) == (article_id, False)  # no seed: nothing erased
    assert store.registered_articles() == [Article("https://news.example/a", "cli", "A", "2024-01-02", "Body.")]
    assert store.get_article_id("https://news.example/missing") is None
    [row] = store.list_articles()
    assert row["added_at"] == T0 and row["added_at"].tzinfo is not None


def test_update_article_extracted(store):
    article_id, _ = store.add_article(Article("https://news.example/a"), T0)
    extracted = Extracted("https://news.example/canonical", "Title", "By Someone", "2024-02-29", "en", "Text.")
    store.update_article_extracted(article_id, extracted, T0)
    [row] = store.list_articles()
    assert (row["title"], row["canonical_url"], row["last_captured_at"]) == ("Title", extracted.canonical_url, T0)
    with pytest.raises(StoreError, match="no article with id 999"):
        store.update_article_extracted(999, extracted, T0)


def test_article_dates_and_clean_title_are_kept_beside_the_raw_ones(store):
    article_id, _ = store.add_article(Article("https://news.example/a"), T0)
    extracted = Extracted("https://news.example/a", "Title | ZDNet", None, "2019-11-19T19:31:39Z", "en", "Text.",
                          clean_title="Title", published_raw="2019-11-19 19:31:39", modified="2019-11-20")
    store.update_article_extracted(article_id, extracted, T0)
    [row] = store.report_article_page(None, 10)
    assert (row["title"], row["clean_title"]) == ("Title | ZDNet", "Title")
    assert (row["published"], row["published_raw"], row["modified"]) == (
        "2019-11-19T19:31:39Z", "2019-11-19 19:31:39", "2019-11-20")


def test_replace_links_upserts_and_keeps_links_no_longer_present(store):
    article_id, _ = store.add_article(Article("https://news.example/a"), T0)
    later = T0 + timedelta(days=1)
    store.replace_links(article_id, [Link("https://x.example/1", "one", 0), Link("https://x.example/2", "two", 1),
                                     Link("https://x.example/1", "again", 2)], T0)
    store.replace_links(article_id, [Link("https://x.example/2", "two!", 0),
                                     Link("mailto:a@b.example", "mail", 1, supported=False)], later)
    rows = {row["url"]: row for row in store.links_for_article(article_id)}
    assert set(rows) == {"https://x.example/1", "https://x.example/2", "mailto:a@b.example"}
    assert (rows["https://x.example/1"]["anchor_text"], rows["https://x.example/1"]["last_seen"]) == ("one", T0)
    assert rows["https://x.example/2"]["anchor_text"] == "two!"
    assert (rows["https://x.example/2"]["first_seen"], rows["https://x.example/2"]["last_seen"]) == (T0, later)
    assert rows["mailto:a@b.example"]["supported"] is False
    assert [row["url"] for row in store.links_for_article(article_id)] == [  # current links in body order first
        "https://x.example/2", "mailto:a@b.example", "https://x.example/1"]


def test_links_of_an_unknown_article_are_refused_by_the_foreign_key(store):
    with pytest.raises(StoreError, match="replace links"):
        store.replace_links(12345, [Link("https://x.example/1", "one", 0)], T0)


def test_captures_round_trip_every_field_newest_first(store):
    article_id, _ = store.add_article(Article("https://news.example/a"), T0)
    run_id = store.start_run("archive", T0)
    plus_two = timezone(timedelta(hours=2))
    first = make_capture(text_hash="ab" * 20, text_fingerprint=INT64_MIN, truncated="length",
                         warc_offset=(1 << 40) + 7, article_id=article_id, run_id=run_id)
    second = make_capture(fetched_at=(T0 + timedelta(seconds=1)).astimezone(plus_two), hop=1,
                          requested_url="https://ref.example/old", text_fingerprint=INT64_MAX, http_status=None,
                          content_type=None, warc_file=None, warc_offset=None, warc_length=None, record_id=None,
                          payload_digest=None, failure=Observation.TIMEOUT, failure_detail="read timed out")
    ids = store.add_captures([first, second])
    assert len(set(ids)) == 2 and ids == sorted(ids)
    got = store.captures_for_url("https://ref.example/a")
    assert got == [second, first]  # dataclass equality: aware datetimes compare by instant
    assert got[0].fetched_at.tzinfo == timezone.utc and got[0].failure is Observation.TIMEOUT
    assert got[1].text_fingerprint == INT64_MIN and got[0].text_fingerprint == INT64_MAX
    assert store.add_captures([]) == []
    assert store.captures_for_url("https://ref.example/none") == []


def test_values_the_store_would_change_are_refused(store):
    with pytest.raises(ValueError, match="signed 64-bit"):
        store.add_captures([make_capture(text_fingerprint=1 << 63)])
    with pytest.raises(ValueError, match="naive datetime"):
        store.add_captures([make_capture(fetched_at=datetime(2024, 1, 1))])
    assert store.captures_for_url("https://ref.example/a") == []


def test_runs_start_finish_and_last_run(store):
    assert store.last_run() is None
    first = store.start_run("archive", T0)
    second = store.start_run("check", T0 + timedelta(minutes=5))
    running = store.last_run()
    assert (running.id, running.status, running.finished_at, running.counts) == (second, "running", None, {})
    store.finish_run(second, "failed", {"articles": 2, "failed_dns_error": 1}, T0 + timedelta(minutes=6), "boom")
    store.finish_run(first, "ok", {}, T0 + timedelta(minutes=7))
    last = store.last_run()
    assert (last.id, last.kind, last.status) == (second, "check", "failed")
    assert last.counts == {"articles": 2, "failed_dns_error": 1}
    assert last.finished_at == T0 + timedelta(minutes=6) and last.started_at.tzinfo == timezone.utc
    with pytest.raises(StoreError, match="no run with id"):
        store.finish_run(second + 100, "ok", {}, T0)


def test_list_articles_counts_captured_failed_and_unfetched_links(store):
    a, _ = store.add_article(Article("https://news.example/a"), T0)
    b, _ = store.add_article(Article("https://news.example/b"), T0)
    urls = [f"https://ref.example/{n}" for n in range(4)]
    store.replace_links(a, [Link(url, url, n) for n, url in enumerate(urls)], T0)
    store.add_captures([
        make_capture(urls[0], http_status=404),  # a response, even a 404, is a capture
        make_capture("https://ref.example/moved", requested_url=urls[1], hop=1),  # counted via the fetch it ended
        make_capture(urls[2], http_status=None, failure=Observation.DNS_ERROR),
        make_capture(urls[2], http_status=None, failure=Observation.TIMEOUT),
    ])
    by_id = {row["id"]: row for row in store.list_articles()}
    assert [by_id[a][k] for k in ("link_count", "captured_link_count", "failed_link_count")] == [4, 2, 1]
    assert [by_id[b][k] for k in ("link_count", "captured_link_count", "failed_link_count")] == [0, 0, 0]


def _write_captures(url: str, worker: int, count: int, barrier) -> tuple[str, list[int]]:
    barrier.wait(timeout=60)  # all open at once: the schema upgrade races too
    with Store.open(url) as store:
        revision = store.schema_revision()
        barrier.wait(timeout=60)
        ids = []
        for n in range(count):
            capture = make_capture("https://ref.example/shared", hop=n, record_id=f"<urn:w{worker}:{n}>")
            ids.extend(store.add_captures([capture]))
    return revision, ids


@pytest.mark.slow
def test_four_processes_writing_at_once_lose_nothing(database_url):
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(4, mp_context=context) as pool:
        barrier = manager.Barrier(4)
        futures = [pool.submit(_write_captures, database_url, worker, 200, barrier) for worker in range(4)]
        results = [future.result(timeout=300) for future in futures]
    assert {revision for revision, _ in results} == {head_revision()}
    assert len({capture_id for _, ids in results for capture_id in ids}) == 800
    with Store.open(database_url) as store:
        captures = store.captures_for_url("https://ref.example/shared")
    assert len(captures) == 800 and len({c.record_id for c in captures}) == 800


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "postgresql"])
def test_unreachable_postgres_raises_store_error_naming_the_url_without_password(scheme):
    port = _closed_port()
    with pytest.raises(StoreError) as caught:
        Store.open(f"{scheme}://postgres:s3cret@127.0.0.1:{port}/test?connect_timeout=5")
    message = str(caught.value)
    assert f"postgresql+psycopg://postgres:***@127.0.0.1:{port}/test" in message
    assert "s3cret" not in message and "cannot connect" in message


@pytest.mark.parametrize("url", ["not a url", "mysql://localhost/archiver"])
def test_unusable_urls_raise_store_error(url):
    with pytest.raises(StoreError, match="database"):
        Store.open(url)


def test_an_unopenable_sqlite_path_raises_store_error(tmp_path: Path):
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match="cannot connect"):
        Store.open(f"sqlite:///{(tmp_path / 'dir.db').as_posix()}")


def test_a_new_database_beside_warcs_is_refused_and_left_unwritten(database_url, tmp_path):
    warc_dir = tmp_path / "warcs"
    warc_dir.mkdir()
    with Store.open(database_url, warc_dir=warc_dir):  # no WARCs yet: a new data dir
        pass
    (warc_dir / "archiver-20260101000000000-00000-host-1.warc.gz").write_bytes(b"")
    with Store.open(database_url, warc_dir=warc_dir):  # WARCs beside a database that has its schema: fine
        pass
    engine = sqlalchemy.create_engine(database_url)
    with engine.begin() as connection:  # the database lost: its tables gone, the WARCs still there
        metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE alembic_version")
    engine.dispose()
    with pytest.raises(DatabaseLost, match="holds 1 WARC file.*archiver rebuild"):
        Store.open(database_url, warc_dir=warc_dir)
    engine = sqlalchemy.create_engine(database_url)
    with engine.connect() as connection:
        assert sqlalchemy.inspect(connection).get_table_names() == []
    engine.dispose()
