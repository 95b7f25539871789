"""Queue mode: one row per (run, URL) queued for the workers, the WARCs uploaded to a bucket, the live workers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

A frozen copy, like 0001-0005: never edited once shipped, never imports archiver.store.schema.
New tables only. `queue_items` has one row per URL a queued run captures: its unique (run_id, url)
is what makes a redelivered message write nothing twice (archiver.store.queue_items).
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Timestamps are naive UTC on both backends (the store converts at its edge).
Timestamp = sa.DateTime(timezone=False)


def upgrade() -> None:
    op.create_table(
        "queue_items",
        sa.Column("id", Id, primary_key=True),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("article_id", Id),
        sa.Column("queued_at", Timestamp, nullable=False),
        sa.Column("done_at", Timestamp),
        sa.Column("worker", sa.String(255)),
        sa.PrimaryKeyConstraint("id", name="pk_queue_items"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_queue_items_run_id_runs", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_queue_items_article_id_articles",
                                ondelete="SET NULL"),
        sa.UniqueConstraint("run_id", "url", name="uq_queue_items_run_id_url"),
    )
    op.create_index("ix_queue_items_run_id_done_at", "queue_items", ["run_id", "done_at"])
    op.create_table(
        "warc_objects",
        sa.Column("id", Id, primary_key=True),
        sa.Column("warc_file", sa.Text, nullable=False),
        sa.Column("object_key", sa.Text, nullable=False),
        sa.Column("index_key", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_warc_objects"),
        sa.UniqueConstraint("warc_file", name="uq_warc_objects_warc_file"),
    )
    op.create_table(
        "queue_workers",
        sa.Column("id", Id, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("threads", sa.Integer, nullable=False),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("heartbeat_at", Timestamp, nullable=False),
        sa.Column("processed", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_queue_workers"),
        sa.UniqueConstraint("name", name="uq_queue_workers_name"),
    )


def downgrade() -> None:
    op.drop_table("queue_workers")
    op.drop_table("warc_objects")
    op.drop_index("ix_queue_items_run_id_done_at", table_name="queue_items")
    op.drop_table("queue_items")
