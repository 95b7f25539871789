"""Article search by any part of a title or URL, by index on PostgreSQL (pg_trgm).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

A frozen copy: never edited once shipped, never imports archiver.store.schema.
The review UI searches `title`, `seed_title` and `url` for a substring (ILIKE '%...%'), which a
b-tree cannot serve: without these indexes PostgreSQL reads every article per search. pg_trgm's
GIN indexes answer it from the trigrams of the text (searches of three characters or more).
PostgreSQL only, and only where the pg_trgm extension can be created (it ships with PostgreSQL and
is trusted from 13 on); elsewhere the search works as before, by scan. SQLite's LIKE has no such
index; its scan is in-process and several times faster than PostgreSQL's. These indexes are not in
archiver.store.schema (one metadata for both backends): the schema test leaves out TRIGRAM_INDEXES.
"""

import logging
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TRIGRAM_INDEXES = {"ix_articles_title_trgm": "title", "ix_articles_seed_title_trgm": "seed_title",
                   "ix_articles_url_trgm": "url"}
log = logging.getLogger("archiver.store")


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    schema = _trigram_schema(connection)
    if schema is None:
        return
    for name, column in TRIGRAM_INDEXES.items():
        # The operator class named with its schema: our tables may live in another one (search_path).
        op.create_index(name, "articles", [column], postgresql_using="gin",
                        postgresql_ops={column: f'"{schema}".gin_trgm_ops'})


def _trigram_schema(connection) -> str | None:
    """The schema pg_trgm is installed in, installing it in `public` (where a database's extensions
    usually live, shared by every schema) when it is not there yet; None when it cannot be."""
    installed = sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                        "WHERE e.extname = 'pg_trgm'")
    schema = connection.execute(installed).scalar()
    if schema is not None:
        return schema
    savepoint = connection.begin_nested()  # a refused CREATE EXTENSION must not abort the whole upgrade
    try:
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        log.warning("article search will scan every article: the pg_trgm extension cannot be created here (%s)",
                    str(exc.orig).strip().splitlines()[0])
        return None
    savepoint.commit()
    return connection.execute(installed).scalar()


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
