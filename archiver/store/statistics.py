"""The query planner's statistics: gathered when a database has none, and refreshed after each run.

SQLite never gathers statistics on its own. Without them it plans `url IN (...) AND run_id IN (...)`
on the run_id index and reads every observation of a run per batch of URLs: reports turn quadratic.
ANALYZE with an analysis_limit samples a few hundred rows per index, so it takes milliseconds even on
a database of millions of rows; the estimates are rough, and rough is all the planner needs here.
PostgreSQL's autovacuum keeps its statistics; a freshly loaded database gets one ANALYZE.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text

from archiver.errors import StoreError
from archiver.store.engine import Database

log = logging.getLogger(__name__)

SQLITE_ANALYSIS_LIMIT = 400  # rows sampled per index: enough to tell a selective index from a broad one


def has_statistics(connection: Connection) -> bool:
    """Whether the planner knows the size of the observations table (the one reports depend on)."""
    if connection.dialect.name == "sqlite":
        if not connection.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            return False
        known = connection.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'observations' "
                                        "AND stat NOT LIKE '0%' LIMIT 1")).first()
    else:
        known = connection.execute(text("SELECT 1 FROM pg_stats WHERE schemaname = current_schema() "
                                        "AND tablename = 'observations' LIMIT 1")).first()
    if known:
        return True
    # An empty table needs none: its plans are cheap whatever they are.
    return connection.execute(text("SELECT 1 FROM observations LIMIT 1")).first() is None


def gather_statistics(database: Database, *, only_if_missing: bool = False) -> bool:
    """ANALYZE (sampled on SQLite); with only_if_missing, only when the planner has no statistics yet.

    Returns whether it ran. A database this process may not write (a read-only copy) keeps its plans:
    a warning, never a failure, since every command works without statistics, only slower.
    """

    def work(connection: Connection) -> bool:
        if only_if_missing and has_statistics(connection):
            return False
        if connection.dialect.name == "sqlite":
            connection.execute(text(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}"))
        connection.execute(text("ANALYZE"))
        return True

    try:
        return database.write("gather the query planner's statistics", work)
    except StoreError as exc:
        log.warning("%s", exc)
        return False
