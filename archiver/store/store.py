"""The Store: the one object the rest of archiver uses to reach the database."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Callable, TypeVar

from sqlalchemy import Engine

from archiver.errors import DatabaseLost
from archiver.store.articles import ArticleQueries
from archiver.store.browse import BrowseQueries
from archiver.store.captures import CaptureQueries
from archiver.store.engine import Database, connect
from archiver.store.migrate import current_revision, upgrade_to_head
from archiver.store.observations import HealthQueries
from archiver.store.overrides import OverrideQueries
from archiver.store.public_copies import PublicCopyQueries
from archiver.store.queue_items import QueueQueries
from archiver.store.reports import ReportQueries
from archiver.store.runs import RunQueries
from archiver.store.statistics import gather_statistics

T = TypeVar("T")
CLOSED_WARCS = "*.warc.gz"  # archiver.warc.files names them so; the store does not import the warc room


class Store(ArticleQueries, CaptureQueries, RunQueries, HealthQueries, ReportQueries, PublicCopyQueries,
            BrowseQueries, OverrideQueries, QueueQueries):
    """Articles, links, captures, runs, link health and public-archive look-ups in SQLite (default) or PostgreSQL.

    Every method is one short transaction, unless called inside together() or transaction(); datetimes go in
    and come out
    timezone-aware (UTC); database failures raise archiver.errors.StoreError.
    """

    def __init__(self, database: Database):
        self._db = database

    @classmethod
    def open(cls, url: str, *, warc_dir: Path | None = None) -> "Store":
        """Connect to `url` and bring its schema to the newest revision (safe to race with other processes).

        `warc_dir`: the WARC files this database describes. A database with no schema yet beside WARC
        files there was lost or replaced (a 0-byte archiver.db, a new PostgreSQL database): DatabaseLost,
        and nothing is written to it, until the user rebuilds it (archiver rebuild) or moves the WARCs.
        """
        database = connect(url)
        try:
            if warc_dir is not None:
                _refuse_a_new_database_beside(database, Path(warc_dir))
            upgrade_to_head(database)
            gather_statistics(database, only_if_missing=True)
        except BaseException:
            database.dispose()
            raise
        return cls(database)

    @property
    def backend(self) -> str:
        """"sqlite" or "postgresql"."""
        return self._db.backend

    def transaction(self, doing: str) -> AbstractContextManager[None]:
        """Every Store call this thread makes inside the block in one transaction: all stored, or none."""
        return self._db.transaction(doing)

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._db.display_url

    def together(self, doing: str, work: Callable[[], T], *, writing: bool = True) -> T:
        """`work()`, whose calls on this Store share one transaction (one commit), retried whole on a lock.

        For the several reads and writes that store one check: `work` must make only Store calls
        and pure computations, since a lock or serialization failure runs it again.
        """
        return self._db.together(doing, work, writing=writing)

    def schema_revision(self) -> str:
        with self._db.read("read the schema revision") as connection:
            return current_revision(connection) or ""

    # -- a table another library keeps beside ours: APScheduler's job store (archiver.daemon.schedule) --

    def job_store_engine(self, *, writing: bool) -> Engine:
        """The engine for APScheduler's SQLAlchemyJobStore, which runs its own SQL on our database.

        Writing (the daemon), every transaction on SQLite takes the write lock first: the job store
        reads, then writes (creating its table, dropping a job it cannot restore), and a deferred
        transaction doing that fails at once when a command wrote in between. Reading (`status`)
        takes no write lock, so it works beside a running daemon and on a read-only copy.
        """
        return self._db.engine.execution_options(sqlite_begin="IMMEDIATE") if writing else self._db.engine

    def refresh_statistics(self) -> bool:
        """ANALYZE, so the planner keeps choosing the URL indexes as the archive grows (after each run)."""
        return gather_statistics(self._db)

    def has_table(self, name: str) -> bool:
        """Whether the database holds a table called `name` (ours or a library's)."""
        with self._db.read(f"look for the table {name}") as connection:
            return self._db.engine.dialect.has_table(connection, name)

    def failures_as_store_errors(self, doing: str) -> AbstractContextManager[None]:
        """Database failures inside the block (a library's SQL too) become StoreError naming the URL."""
        return self._db.errors(doing)

    def close(self) -> None:
        self._db.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"


def _refuse_a_new_database_beside(database: Database, warc_dir: Path) -> None:
    with database.read("read the schema revision") as connection:
        if current_revision(connection) is not None:
            return
    warcs = sorted(warc_dir.glob(CLOSED_WARCS)) if warc_dir.is_dir() else []
    if warcs:
        raise DatabaseLost(
            f"the database {database.display_url} is empty or new, but {warc_dir} holds {len(warcs)} WARC file(s) "
            f"it should describe: it was lost or replaced, and nothing was written to it. Run `archiver rebuild` "
            f"to restore it from the WARCs, or move the WARCs away to start afresh")
