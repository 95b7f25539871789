"""Link health: observations (one per check of one URL), deduplicated main texts, health columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-10

A frozen copy, like 0001: never edited once shipped, never imports archiver.store.schema.
Every added column is nullable, so SQLite's ALTER TABLE ADD COLUMN does it in place.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Timestamps are naive UTC on both backends (the store converts at its edge).
Timestamp = sa.DateTime(timezone=False)


def upgrade() -> None:
    op.create_table(
        "texts",
        sa.Column("text_hash", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("text_hash", name="pk_texts"),
    )

    op.create_table(
        "observations",
        sa.Column("id", Id, primary_key=True),
        sa.Column("run_id", Id),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("checked_at", Timestamp, nullable=False),
        sa.Column("observation", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("final_url", sa.Text),
        sa.Column("permanent", sa.Boolean),
        sa.Column("content_change", sa.String(16)),
        sa.Column("similarity", sa.Double),
        sa.Column("simhash_distance", sa.Integer),
        sa.Column("capture_id", Id),
        sa.Column("baseline_capture_id", Id),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("recovered", sa.Boolean, nullable=False),
        sa.Column("diff", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_observations"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_observations_run_id_runs", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["captures.id"], name="fk_observations_capture_id_captures", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["baseline_capture_id"], ["captures.id"], name="fk_observations_baseline_capture_id_captures",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_observations_url_checked_at", "observations", ["url", "checked_at"])
    op.create_index("ix_observations_run_id", "observations", ["run_id"])

    op.add_column("links", sa.Column("verdict_since", Timestamp))
    op.add_column("links", sa.Column("last_checked_at", Timestamp))

    op.add_column("articles", sa.Column("verdict", sa.String(16)))
    op.add_column("articles", sa.Column("next_check_at", Timestamp))
    op.add_column("articles", sa.Column("last_checked_at", Timestamp))
    op.create_index("ix_articles_next_check_at", "articles", ["next_check_at"])

    # observations.capture_id is found from a WARC record id (capture_id_for_record).
    op.create_index("ix_captures_record_id", "captures", ["record_id"])


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild of articles would cascade-delete its links.
    op.drop_index("ix_captures_record_id", table_name="captures")
    op.drop_index("ix_articles_next_check_at", table_name="articles")
    for column in ("last_checked_at", "next_check_at", "verdict"):
        op.drop_column("articles", column)
    for column in ("last_checked_at", "verdict_since"):
        op.drop_column("links", column)
    op.drop_table("observations")
    op.drop_table("texts")
