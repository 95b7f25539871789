"""Indexes for reports and status at newsroom scale.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

A frozen copy, like 0001-0005: never edited once shipped, never imports archiver.store.schema.
- links (url, verdict) replaces links (url): every lookup by URL still uses it, and counting distinct
  URLs by verdict (status) reads the index alone.
- links (article_id, verdict): an article's failing references (the report's default view) without
  reading its other link rows.
- captures (requested_url, http_status): whether a reference ever got an answer (status) from the index.
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_links_url_verdict", "links", ["url", "verdict"])
    op.drop_index("ix_links_url", table_name="links")
    op.create_index("ix_links_article_id_verdict", "links", ["article_id", "verdict"])
    op.create_index("ix_captures_requested_url_http_status", "captures", ["requested_url", "http_status"])


def downgrade() -> None:
    op.drop_index("ix_captures_requested_url_http_status", table_name="captures")
    op.drop_index("ix_links_article_id_verdict", table_name="links")
    op.create_index("ix_links_url", "links", ["url"])
    op.drop_index("ix_links_url_verdict", table_name="links")
