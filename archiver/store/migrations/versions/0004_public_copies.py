"""Public web archives: the latest Memento look-up (or save-endpoint submission) of each link URL per archive.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

A frozen copy, like 0001-0003: never edited once shipped, never imports archiver.store.schema.
A new table only, so databases written before this revision simply have no look-ups yet.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Timestamps are naive UTC on both backends (the store converts at its edge).
Timestamp = sa.DateTime(timezone=False)


def upgrade() -> None:
    op.create_table(
        "public_copies",
        sa.Column("id", Id, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("archive", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("memento_url", sa.Text),
        sa.Column("memento_datetime", Timestamp),
        sa.Column("looked_up_at", Timestamp, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_public_copies"),
        sa.UniqueConstraint("url", "archive", "kind", name="uq_public_copies_url_archive_kind"),
    )


def downgrade() -> None:
    op.drop_table("public_copies")
