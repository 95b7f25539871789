"""Engines for SQLite and PostgreSQL, short transactions, and database errors as StoreError.

SQLite is tuned for several processes sharing one file: WAL (readers never block
the writer), a 30 s busy timeout, foreign keys on, and every write transaction
opened with BEGIN IMMEDIATE so it takes the write lock up front. A deferred
transaction that reads first and writes later can fail with "database is
locked" at once, without waiting, when another writer committed in between.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError, StatementError
from sqlalchemy.pool import QueuePool

from archiver.errors import DatabaseFull, StoragePathError, StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
LOCKED_ATTEMPTS = 5  # a write (or open) still meeting a lock after the busy timeout is retried, then fails
# PostgreSQL SQLSTATEs worth a retry: serialization failure, deadlock detected.
RETRYABLE_SQLSTATES = {"40001", "40P01"}


def redacted(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def parse_url(raw: str) -> URL:
    """The SQLAlchemy URL for `raw`; plain postgresql:// means our driver, psycopg 3."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL {raw!r}: expected sqlite:///PATH or postgresql+psycopg://...") from exc
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"unsupported database {redacted(url)}: expected SQLite or PostgreSQL")
    return url


def _sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("uri"):
        return None
    return Path(database)


def _unusable_folder(path: Path) -> StoragePathError | None:
    """Why SQLite cannot work in the folder `path`: it writes beside its database (-wal, -shm) even to read it."""
    if os.access(path, os.W_OK | os.X_OK):
        return None
    reason = "read-only file system" if os.statvfs(path).f_flag & os.ST_RDONLY else "no permission to write in it"
    return StoragePathError(path, f"{reason} (SQLite writes beside its database, even to read it)")


def create_sqlite_engine(url: URL) -> Engine:
    path = _sqlite_file(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a read-only mount, a file where the folder should be
            raise StoragePathError(exc.filename or path.parent, (exc.strerror or str(exc)).lower()) from None
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    if url.database in (None, "", ":memory:"):
        # Each connection to :memory: is a new, empty database: keep exactly one, shared by threads in turn.
        engine = create_engine(url, poolclass=QueuePool, pool_size=1, max_overflow=0,
                               connect_args={**connect_args, "check_same_thread": False})
    else:
        engine = create_engine(url, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # We emit BEGIN ourselves (below); sqlite3's own transaction handling skips it for SELECT and DDL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:  # None: stay in autocommit, for PRAGMAs that refuse to run in a transaction
            connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _is_retryable(exc: DBAPIError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


# SQLite's "database or disk is full" (SQLITE_FULL); PostgreSQL's disk_full SQLSTATE.
SQLITE_FULL = 13
DISK_FULL_SQLSTATES = {"53100"}


def _is_disk_full(exc: SQLAlchemyError) -> bool:
    original = getattr(exc, "orig", None)
    return (getattr(original, "sqlite_errorcode", None) == SQLITE_FULL
            or getattr(original, "sqlstate", None) in DISK_FULL_SQLSTATES)


def _reason(exc: BaseException) -> str:
    # The driver's own words, on one line; SQLAlchemy's wrapper would add statement and parameters.
    original = getattr(exc, "orig", None) or exc
    return " ".join(str(original).split()) or type(original).__name__


class Database:
    """One engine and how this package uses it: short reads, retried writes, failures as StoreError."""

    def __init__(self, engine: Engine, url: URL):
        self.engine = engine
        self.url = url
        self.display_url = redacted(url)
        self._shared = threading.local()  # .connection: the transaction of this thread's together(), if any

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Database failures inside the block become StoreError naming the URL (password hidden)."""
        try:
            yield
        except StoreError:
            raise
        except SQLAlchemyError as exc:
            if (isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)
                    and isinstance(exc.orig, (ValueError, TypeError))):
                raise exc.orig from None  # a bad value from the caller (e.g. a naive datetime), not a DB failure
            error = DatabaseFull if _is_disk_full(exc) else StoreError  # a full disk stops a run with exit 4
            raise error(f"cannot {doing} ({self.display_url}): {_reason(exc)}") from exc

    @contextmanager
    def transaction(self, doing: str) -> Iterator[None]:
        """One write transaction for every read and write this thread makes inside the block: all or nothing.

        Not retried here (the caller repeats the whole unit of work; together() is the retried form);
        a nested one joins the outer.
        """
        if self._shared_connection() is not None:
            yield
            return
        with self.errors(doing), self._sharing(writing=True):
            yield

    @contextmanager
    def read(self, doing: str) -> Iterator[Connection]:
        shared = self._shared_connection()
        if shared is not None:
            yield shared
            return
        with self.errors(doing), self.engine.connect() as connection, connection.begin():
            yield connection

    def write(self, doing: str, work: Callable[[Connection], T]) -> T:
        """Run `work` in one short write transaction, retrying it whole when the database is locked."""
        shared = self._shared_connection()
        if shared is not None:
            return work(shared)

        def attempt() -> T:
            with self.engine.connect() as connection:
                connection = connection.execution_options(sqlite_begin="IMMEDIATE")
                with connection.begin():
                    return work(connection)

        return self.retrying(doing, attempt)

    def together(self, doing: str, work: Callable[[], T], *, writing: bool = True) -> T:
        """Run `work`, whose reads and writes through this Database then share one transaction.

        One commit instead of one per call: on SQLite each commit is a WAL sync, and a check
        made five. Failures inside propagate unwrapped to here, so a lock or a PostgreSQL
        serialization failure retries `work` whole; it must do nothing but database calls
        and pure computation. Nested calls join the outer transaction.
        """
        if self._shared_connection() is not None:
            return work()

        def attempt() -> T:
            with self._sharing(writing=writing):
                return work()

        return self.retrying(doing, attempt)

    @contextmanager
    def _sharing(self, *, writing: bool) -> Iterator[None]:
        """A transaction that this thread's read() and write() calls join until the block ends."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(sqlite_begin="IMMEDIATE" if writing else "DEFERRED")
            with connection.begin():
                self._shared.connection = connection
                try:
                    yield
                finally:
                    self._shared.connection = None

    def _shared_connection(self) -> Connection | None:
        return getattr(self._shared, "connection", None)

    def retrying(self, doing: str, attempt: Callable[[], T]) -> T:
        """`attempt()`, again after a growing pause while the database says it is locked (or, on
        PostgreSQL, a serialization failure or deadlock); other failures become StoreError at once."""
        with self.errors(doing):
            for number in range(1, LOCKED_ATTEMPTS + 1):
                try:
                    return attempt()
                except DBAPIError as exc:
                    if number == LOCKED_ATTEMPTS or not _is_retryable(exc):
                        raise
                    pause = 0.05 * 2**number * (1 + random.random())
                    log.info("%s: %s; retry %d in %.2fs", doing, _reason(exc), number, pause)
                    time.sleep(pause)
        raise AssertionError("unreachable")

    def prepare(self) -> None:
        """Connect once, so a bad URL fails here; on SQLite, switch the file to WAL.

        WAL is a property of the file, set once here rather than on every connection:
        the switch needs an exclusive lock, and racing opens of a new file can get
        "database is locked" at once (SQLite does not wait where waiting could deadlock).
        """
        with self.engine.connect() as connection:
            if self.backend != "sqlite":
                return
            connection = connection.execution_options(sqlite_begin=None)
            mode = connection.exec_driver_sql("PRAGMA journal_mode = WAL").scalar()
            if str(mode).lower() not in ("wal", "memory"):
                log.warning("%s refused WAL journal mode (%s); concurrent access will be slower",
                            self.display_url, mode)

    def dispose(self) -> None:
        self.engine.dispose()


def _postgresql_options(url: URL) -> str:
    """The URL's own server options, plus JIT off. Every statement here is a short indexed read or write; a
    correlated subquery per row can still be costed high enough for PostgreSQL to JIT-compile it, which
    took 0.5 s a statement against 1 ms of work (a report's news pages, on a table not yet analysed)."""
    given = url.query.get("options")
    return " ".join([*([given] if isinstance(given, str) else given or ()), "-c jit=off"])


def connect(raw_url: str) -> Database:
    """A Database for `raw_url`, with one connection tried so a bad URL fails here, clearly."""
    url = parse_url(raw_url)
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_sqlite_engine(url)
        else:
            # pre_ping: the daemon outlives server restarts and idle-connection reapers.
            engine = create_engine(url, pool_pre_ping=True, connect_args={"options": _postgresql_options(url)})
    except NoSuchModuleError as exc:
        raise StoreError(f"no driver for {redacted(url)}: install archiver[postgres] (psycopg 3)") from exc
    except (ImportError, OSError) as exc:
        raise StoreError(f"cannot open database {redacted(url)}: {_reason(exc)}") from exc
    database = Database(engine, url)
    try:
        database.retrying("connect", database.prepare)
    except StoreError:
        engine.dispose()
        path = _sqlite_file(url) if url.get_backend_name() == "sqlite" else None
        if path is None or not path.parent.is_dir():
            raise
        unusable = _unusable_folder(path.parent)
        if unusable is not None:
            raise unusable from None
        if os.statvfs(path.parent).f_bavail == 0:  # SQLite says "disk I/O error" when it cannot grow its -shm
            raise DatabaseFull(f"cannot open database {database.display_url}: no space left on its disk") from None
        raise
    return database
