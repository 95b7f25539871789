"""How a pipeline is put together: the store, fetcher, WARC recorder and extractor it needs, opened and closed.

`open_pipeline(settings)` wires them into a Pipeline and closes them (WARCs renamed) on exit;
`open_queued_work` does the same for a queue worker; `open_store` opens the database alone.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from archiver.fetch import Fetcher
from archiver.fetch.shared import SharedHosts
from archiver.pipeline.cycle import Pipeline, WallClock, utc_now
from archiver.pipeline.extraction import PageExtractor
from archiver.pipeline.queued_runs import require_shared_database
from archiver.pipeline.queued_work import QueuedWork
from archiver.pipeline.storage import open_store, prepare_data_dir
from archiver.pipeline.warc_shipping import WarcShipper, open_bucket
from archiver.settings import FetchSettings, Settings
from archiver.sources.documents import load_configured_sources
from archiver.store import Store
from archiver.warc.index import IndexAsFilesClose, index_closed_warcs, index_dir_of
from archiver.warc.record import WarcRecorder

log = logging.getLogger("archiver.pipeline")


@contextmanager
def open_pipeline(settings: Settings, *, clock: WallClock = utc_now, on_progress=None,
                  **pipeline_options) -> Iterator[Pipeline]:
    """Store, fetcher and WARC recorder wired into a Pipeline; everything closed (WARCs renamed) on exit."""
    warc_dir, index_dir = settings.storage.warc_dir, index_dir_of(settings.storage.data_dir)
    prepare_data_dir(settings.storage, writing=True)  # StoragePathError before anything is written
    with open_store(settings) as store:
        fetcher = Fetcher(settings.fetch)
        indexer = IndexAsFilesClose(index_dir)
        recorder = WarcRecorder(warc_dir, settings.storage.warc_prefix, settings.storage.warc_max_bytes,
                                operator_info=warcinfo_fields(settings.fetch), on_published=indexer)
        extractor = PageExtractor(settings.fetch.extract_processes)
        try:
            yield Pipeline(settings, store, fetcher, recorder, clock=clock, on_progress=on_progress,
                           extractor=extractor, **pipeline_options)
        finally:
            try:
                _close_capture(recorder, extractor, fetcher, indexer)  # the closed files are indexed by now
            finally:
                index_closed_warcs(warc_dir, index_dir)  # any of them that failed, tried once more


@contextmanager
def open_queued_work(settings: Settings, shared: SharedHosts, worker_name: str) -> Iterator[QueuedWork]:
    """A worker process's QueuedWork: PostgreSQL required, hosts shared through `shared`, and each WARC it
    closes indexed and, with storage.warc_store, shipped to the bucket (a killed worker's files first)."""
    warc_dir, index_dir = settings.storage.warc_dir, index_dir_of(settings.storage.data_dir)
    prepare_data_dir(settings.storage, writing=True)
    with open_store(settings) as store:
        require_shared_database(store)
        if settings.storage.warc_store:
            published = WarcShipper(settings.storage, store, open_bucket(settings.storage))
            published.sweep()
        else:
            published = IndexAsFilesClose(index_dir)
        fetcher = Fetcher(settings.fetch, shared=shared)
        recorder = WarcRecorder(warc_dir, settings.storage.warc_prefix, settings.storage.warc_max_bytes,
                                operator_info=warcinfo_fields(settings.fetch), on_published=published)
        extractor = PageExtractor(settings.fetch.extract_processes)
        work = QueuedWork(settings, store, fetcher, recorder, extractor=extractor)
        work.worker_name = worker_name
        try:
            yield work
        finally:
            _close_capture(recorder, extractor, fetcher, published)  # every closed file is indexed (and shipped)


def _close_capture(recorder: WarcRecorder, extractor: PageExtractor, fetcher: Fetcher, published) -> None:
    """The WARC writer first (closing its last file publishes it), then what fed it, then the publisher."""
    try:
        recorder.close()
    finally:
        extractor.close()
        fetcher.close()
        published.close()


def warcinfo_fields(fetch_settings: FetchSettings) -> dict[str, str]:
    """What each WARC's warcinfo record says about how it was captured (WARC/1.1 6.2 fields)."""
    return {"http-header-user-agent": fetch_settings.user_agent_header,
            "robots": "classic" if fetch_settings.respect_robots else "ignore"}


def register_configured_sources(settings: Settings, store: Store) -> tuple[int, int]:
    """Register the articles [sources] lists now (files, folders, feeds, sitemaps); return (listed, newly added).

    Feeds and sitemaps are fetched through a Fetcher of their own: the same network guard and
    timeouts, with the sources' own size bound. A rejected source is logged; the others still count.
    """
    fetcher = Fetcher(source_fetch_settings(settings))
    try:
        articles, errors = load_configured_sources(settings.sources, fetcher)
    finally:
        fetcher.close()
    for error in errors:
        log.warning("source rejected: %s", error)
    now = utc_now()
    created = sum(store.add_article(article, now)[1] for article in articles)
    return len(articles), created


def source_fetch_settings(settings: Settings) -> FetchSettings:
    """Fetch settings for feeds and sitemaps: the same guard and timeouts, their own size bound."""
    limit = settings.sources.max_document_bytes
    return dataclasses.replace(settings.fetch, max_body_bytes=limit, max_extract_bytes=limit)
