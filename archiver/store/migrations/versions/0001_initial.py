"""Initial schema: articles, links, runs, captures.

Revision ID: 0001
Revises:
Create Date: 2026-05-09

A frozen copy of the tables as first shipped: later schema changes are new
revisions, never edits here, and this file never imports archiver.store.schema.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Timestamps are naive UTC on both backends (the store converts at its edge).
Timestamp = sa.DateTime(timezone=False)


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", Id, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("seed_title", sa.Text),
        sa.Column("seed_date", sa.Text),
        sa.Column("seed_text", sa.Text),
        sa.Column("canonical_url", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("byline", sa.Text),
        sa.Column("published", sa.Text),
        sa.Column("language", sa.String(35)),
        sa.Column("added_at", Timestamp, nullable=False),
        sa.Column("last_captured_at", Timestamp),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("url", name="uq_articles_url"),
    )
    op.create_index("ix_articles_canonical_url", "articles", ["canonical_url"])

    op.create_table(
        "links",
        sa.Column("id", Id, primary_key=True),
        sa.Column("article_id", Id, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("anchor_text", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("supported", sa.Boolean, nullable=False),
        sa.Column("first_seen", Timestamp, nullable=False),
        sa.Column("last_seen", Timestamp, nullable=False),
        sa.Column("next_check_at", Timestamp),
        sa.Column("verdict", sa.String(32)),
        sa.PrimaryKeyConstraint("id", name="pk_links"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_links_article_id_articles", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("article_id", "url", name="uq_links_article_id_url"),
    )
    op.create_index("ix_links_url", "links", ["url"])
    op.create_index("ix_links_next_check_at", "links", ["next_check_at"])

    op.create_table(
        "runs",
        sa.Column("id", Id, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("finished_at", Timestamp),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("pid", sa.Integer),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_started_at", "runs", ["started_at"])

    op.create_table(
        "captures",
        sa.Column("id", Id, primary_key=True),
        sa.Column("run_id", Id),
        sa.Column("article_id", Id),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("requested_url", sa.Text, nullable=False),
        sa.Column("hop", sa.Integer, nullable=False),
        sa.Column("fetched_at", Timestamp, nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("content_type", sa.Text),
        sa.Column("warc_file", sa.Text),
        sa.Column("warc_offset", sa.BigInteger),
        sa.Column("warc_length", sa.BigInteger),
        sa.Column("record_id", sa.Text),
        sa.Column("payload_digest", sa.Text),
        sa.Column("truncated", sa.String(16)),
        sa.Column("text_hash", sa.Text),
        sa.Column("text_fingerprint", sa.BigInteger),
        sa.Column("failure", sa.String(32)),
        sa.Column("failure_detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_captures"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_captures_run_id_runs", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_captures_article_id_articles", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_captures_url_fetched_at", "captures", ["url", "fetched_at"])
    op.create_index("ix_captures_requested_url_fetched_at", "captures", ["requested_url", "fetched_at"])
    op.create_index("ix_captures_payload_digest", "captures", ["payload_digest"])
    op.create_index("ix_captures_article_id", "captures", ["article_id"])
    op.create_index("ix_captures_run_id", "captures", ["run_id"])


def downgrade() -> None:
    op.drop_table("captures")
    op.drop_table("runs")
    op.drop_table("links")
    op.drop_table("articles")
