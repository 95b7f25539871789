"""The data dir as commands find it: a folder they can use, and no WARC left `.open` by a killed run.

Every command reaches the database through open_store and every capture through open_pipeline
(archiver.pipeline); both start here:

- a data dir or warcs/ that is a file, or that a command which writes cannot write in (a
  read-only mount, no permission), is a StoragePathError naming the path and the reason
  (exit 3) before anything is written;
- `.open` WARC files a killed run left are closed (cut back to their last complete record and
  renamed), so the capture rows it committed point at a file that exists. Commands that only
  read (`status`, `report`) do this too when they may write in warcs/; a live writer's files stay.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archiver.errors import StoragePathError
from archiver.settings import Settings, StorageSettings
from archiver.store import Store
from archiver.warc.files import recover_open_files

log = logging.getLogger("archiver.pipeline")


def unwritable_reason(path: Path) -> str | None:
    """Why nothing can be created in the folder `path`, or None when something can."""
    if os.access(path, os.W_OK | os.X_OK):  # root too is refused on a read-only mount
        return None
    return "read-only file system" if os.statvfs(path).f_flag & os.ST_RDONLY else "no permission to write in it"


def usable_folder(path: Path, *, writing: bool) -> Path:
    """`path` as a folder: StoragePathError when it is a file; when `writing`, made if missing and writable."""
    if path.exists() and not path.is_dir():
        raise StoragePathError(path, "not a folder (a file is in the way)")
    if not writing:
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a parent on a read-only mount, or a file where a parent should be
        raise StoragePathError(path, (exc.strerror or str(exc)).lower()) from None
    reason = unwritable_reason(path)
    if reason is not None:
        raise StoragePathError(path, reason)
    return path


def check_data_dir(storage: StorageSettings, *, writing: bool) -> None:
    """The data dir and its warcs/ are folders, and writable when `writing` (StoragePathError otherwise)."""
    usable_folder(storage.data_dir, writing=writing)
    usable_folder(storage.warc_dir, writing=writing)


def recover_data_dir(storage: StorageSettings, *, index: bool) -> None:
    """Close the `.open` WARC files killed runs left; with `index`, index every closed WARC that has none.

    A warcs/ that cannot be written in (a read-only copy being read) is left as it is.
    """
    warc_dir = storage.warc_dir
    if not warc_dir.is_dir() or unwritable_reason(warc_dir) is not None:
        return
    for recovered in recover_open_files(warc_dir):
        log.warning("recovered unfinished WARC %s", recovered.name)
    if index:
        # Imported here: the CDXJ indexer's libraries cost a fifth of a second that commands which only read skip.
        from archiver.warc.index import index_closed_warcs, index_dir_of

        index_closed_warcs(warc_dir, index_dir_of(storage.data_dir))  # recovered files, and any a crash left


def prepare_data_dir(storage: StorageSettings, *, writing: bool) -> None:
    """check_data_dir, then recover_data_dir (indexing too when `writing`)."""
    check_data_dir(storage, writing=writing)
    recover_data_dir(storage, index=writing)


@contextmanager
def open_store(settings: Settings) -> Iterator[Store]:
    """The database for these settings, schema upgraded; closed on exit. StoragePathError for an unusable data dir,
    DatabaseLost for a new database beside WARCs already written (see Store.open)."""
    prepare_data_dir(settings.storage, writing=False)
    store = Store.open(settings.storage.database_url, warc_dir=settings.storage.warc_dir)
    try:
        yield store
    finally:
        store.close()
