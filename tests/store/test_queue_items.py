"""Queue mode's rows on both backends: a (run, URL) is queued once and stored once, whatever the deliveries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archiver.errors import StoreError
from archiver.models import Article
from archiver.store import QueueItem, WarcObject

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_a_url_is_queued_once_per_run_and_marked_done_once(store):
    run = store.start_run("archive", NOW)
    article_id, _ = store.add_article(Article(url="http://a.test/1", source="cli"), NOW)
    first = store.queue_items([QueueItem(run, "http://a.test/1", "article", article_id),
                               QueueItem(run, "http://b.test/x", "reference", article_id)], NOW)
    again = store.queue_items([QueueItem(run, "http://b.test/x", "reference", None),
                               QueueItem(run, "http://c.test/y", "reference", None)], NOW)
    assert [i.url for i in first] == ["http://a.test/1", "http://b.test/x"]
    assert [i.url for i in again] == ["http://c.test/y"]
    assert store.mark_done(run, "http://b.test/x", "w1", NOW) is True
    assert store.mark_done(run, "http://b.test/x", "w2", NOW) is False  # a redelivery writes nothing
    done = (QueueItem(run, "http://b.test/x", "reference", article_id), True)
    assert store.queued_item(run, "http://b.test/x") == done
    assert store.queued_item(run, "http://never.test/") is None
    assert [p.url for p in store.pending_items(run)] == ["http://a.test/1", "http://c.test/y"]
    progress = store.run_progress(run)
    assert [(p.queued, p.done) for p in progress] == [(3, 1)]


def test_a_transaction_stores_all_or_nothing(store):
    run = store.start_run("archive", NOW)
    store.queue_items([QueueItem(run, "http://a.test/", "reference", None)], NOW)
    with pytest.raises(RuntimeError), store.transaction("test"):
        assert store.mark_done(run, "http://a.test/", "w1", NOW)
        raise RuntimeError("the worker failed before committing")
    assert store.queued_item(run, "http://a.test/")[1] is False  # rolled back: the redelivery will store it


def test_workers_and_uploaded_warcs(store):
    store.beat_worker("host:1", "host", 1, 4, 0, NOW)
    store.beat_worker("host:1", "host", 1, 4, 7, NOW)
    assert [(w.name, w.processed) for w in store.workers_seen_since(NOW)] == [("host:1", 7)]
    stored = WarcObject("a.warc.gz", "p/warcs/a.warc.gz", "p/indexes/a.warc.gz.cdxj", 10, "0" * 64)
    store.record_warc_object(stored, NOW)
    store.record_warc_object(stored, NOW)
    assert store.warc_objects() == [stored]
    store.forget_worker("host:1")
    assert store.workers_seen_since(NOW) == []


def test_queue_items_of_an_unknown_run_are_refused(store):
    with pytest.raises(StoreError):
        store.queue_items([QueueItem(10**9, "http://a.test/", "reference", None)], NOW)
