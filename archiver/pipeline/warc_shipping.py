"""WARCs to the bucket and back (storage.warc_store): ship each closed WARC, fill a reader's local cache.

A worker's recorder hands each WARC it closes (rotation, idle, stop) to a WarcShipper:
the WARC is indexed (CDXJ), both are uploaded and verified (archiver.warc.bucket), the
object keys and the digest go in the database, and only then are the local files
deleted. A worker's start ships what a killed one left: its `.open` files are recovered
(cut to the last complete record) and every closed WARC the database has no object of
is shipped. Capture rows name the WARC file; warc_objects maps that name to its key.

Readers (`lookup`, `export --wacz`, `replay`) read a local cache: fill_local_cache
downloads into the data dir's warcs/ and indexes/ every WARC and CDXJ the bucket holds
that is missing there, each checked against the recorded size and SHA-256.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.errors import ArchiverError, ConfigError
from archiver.settings import StorageSettings
from archiver.store import Store, WarcObject
from archiver.warc.files import recover_open_files
from archiver.warc.index import index_dir_of, index_path, write_index

if TYPE_CHECKING:  # boto3 is the optional queue extra: imported only when a bucket is configured
    from archiver.warc.bucket import WarcBucket

log = logging.getLogger("archiver.pipeline")

CLOSED_WARCS = "*.warc.gz"


class WarcShipper:
    """Indexes, uploads, records and deletes each closed WARC, on one background thread."""

    def __init__(self, storage: StorageSettings, store: Store, bucket: WarcBucket):
        self.warc_dir, self.index_dir = storage.warc_dir, index_dir_of(storage.data_dir)
        self.store, self.bucket = store, bucket
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ship")

    def __call__(self, warc_path: Path) -> None:
        """The recorder closed `warc_path`: ship it soon (close() waits for it)."""
        self._pool.submit(self._ship_logged, Path(warc_path))

    def sweep(self) -> list[Path]:
        """Recover the `.open` WARCs of dead writers, then ship every closed WARC not in the bucket yet."""
        for recovered in recover_open_files(self.warc_dir):
            log.warning("recovered unfinished WARC %s", recovered.name)
        shipped = {stored.warc_file for stored in self.store.warc_objects()}
        waiting = [path for path in sorted(self.warc_dir.glob(CLOSED_WARCS)) if path.name not in shipped]
        for path in waiting:
            self._ship_logged(path)
        return waiting

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _ship_logged(self, warc_path: Path) -> None:
        try:
            self.ship(warc_path)
        except (ArchiverError, OSError) as exc:  # kept locally; the next sweep (a worker's start) tries again
            log.error("cannot ship %s to the bucket: %s; it stays in %s", warc_path.name, exc, self.warc_dir)

    def ship(self, warc_path: Path) -> WarcObject:
        index = write_index(warc_path, self.index_dir)
        warc = self.bucket.upload(warc_path, self.bucket.key_for("warcs", warc_path.name))
        cdxj = self.bucket.upload(index, self.bucket.key_for("indexes", index.name))
        stored = WarcObject(warc_path.name, warc.key, cdxj.key, warc.size, warc.sha256)
        self.store.record_warc_object(stored, datetime.now(UTC))
        warc_path.unlink()  # verified by size and digest, and recorded: the bucket holds it now
        index.unlink()
        log.info("shipped %s to s3://%s/%s (%d bytes)", warc_path.name, self.bucket.bucket, warc.key, warc.size)
        return stored


def open_bucket(storage: StorageSettings) -> WarcBucket:
    """The bucket of storage.warc_store (ConfigError for a bad URL, or without boto3)."""
    try:
        from archiver.warc.bucket import WarcBucket
    except ImportError as exc:
        raise ConfigError("storage.warc_store", storage.warc_store,
                          f"boto3 installed for it: pip install 'archiver[queue]' ({exc})") from None
    return WarcBucket(storage.warc_store)


def fill_local_cache(storage: StorageSettings, store: Store, bucket: WarcBucket | None = None) -> int:
    """Download the bucket's WARCs and CDXJ indexes missing from the data dir; return how many WARCs came."""
    if not storage.warc_store:
        return 0
    bucket = bucket or open_bucket(storage)
    index_dir = index_dir_of(storage.data_dir)
    fetched = 0
    for stored in store.warc_objects():
        warc = storage.warc_dir / stored.warc_file
        if not warc.exists():
            bucket.download(stored.object_key, warc, size=stored.size, sha256=stored.sha256)
            fetched += 1
        index = index_path(index_dir, stored.warc_file)
        if not index.exists():
            bucket.download(stored.index_key, index)
    return fetched
