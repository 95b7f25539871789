"""Bring a database to the newest schema revision, safely when several processes open it at once.

The Alembic configuration is built here in code (no alembic.ini), pointing at
the migrations shipped inside the package. The upgrade runs in one transaction
that first takes a lock: a transaction-scoped advisory lock on PostgreSQL, the
write lock (BEGIN IMMEDIATE) on SQLite. A second process waits for it, then
finds the schema at head and does nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from archiver.errors import StoreError
from archiver.store.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision (tests check it against Alembic's own reading of MIGRATIONS_DIR). Opening a
# database already at SCHEMA_HEAD needs no Alembic at all: importing it and reading the scripts costs a
# quarter of a second, which every `status` would pay.
SCHEMA_HEAD = "0012"
# Any fixed 64-bit number, the same in every archiver process: "archiver schema upgrade".
UPGRADE_LOCK_KEY = 0x61726368_69766572 & 0x7FFF_FFFF_FFFF_FFFF


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    # '%' would be taken for interpolation by the config parser.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision as Alembic reads the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "archiver ships at least one migration"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision stamped in the database, or None for a database with no schema yet."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _take_upgrade_lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Released by the commit or rollback that ends this transaction, even if the process dies.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
    # SQLite: Database.write opened this transaction with BEGIN IMMEDIATE, which is the lock.


def _upgrade(connection: Connection) -> str:
    from alembic import command
    from alembic.script import ScriptDirectory

    _take_upgrade_lock(connection)
    config = alembic_config(connection)
    scripts = ScriptDirectory.from_config(config)
    current = current_revision(connection)
    head = scripts.get_current_head()
    if current == head:
        return current
    if current is not None and current not in {script.revision for script in scripts.walk_revisions()}:
        raise StoreError(
            f"the database schema is at revision {current}, which this archiver does not know "
            f"(its newest is {head}): it was written by a newer archiver; upgrade archiver"
        )
    command.upgrade(config, "head")
    return head


def upgrade_to_head(database: Database) -> str:
    """Upgrade the schema to the newest revision (a no-op when it is there); return that revision."""
    with database.read("read the schema revision") as connection:
        at_head = current_revision(connection) == SCHEMA_HEAD
    if at_head:
        return SCHEMA_HEAD  # no lock taken: a database at head never goes back
    return database.write("upgrade the database schema", _upgrade)
