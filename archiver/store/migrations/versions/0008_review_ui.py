"""The review UI (`archiver serve`): reviewers' overrides of link verdicts, and the indexes its pages read by.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

A frozen copy: never edited once shipped, never imports archiver.store.schema.
link_overrides holds one reviewer's word per link URL ("ignore", or "fine": this is fine), which
every report shows beside the verdict. The indexes serve the UI's pages: verdict counts and filters
(links.verdict, articles.verdict) and what changed lately (links.verdict_since).
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Timestamp = sa.DateTime(timezone=False)  # naive UTC on both backends (the store converts at its edge)


def upgrade() -> None:
    op.create_table(
        "link_overrides",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_link_overrides"),
    )
    op.create_index("ix_links_verdict", "links", ["verdict"])
    op.create_index("ix_links_verdict_since", "links", ["verdict_since"])
    op.create_index("ix_articles_verdict", "articles", ["verdict"])


def downgrade() -> None:
    op.drop_index("ix_articles_verdict", table_name="articles")
    op.drop_index("ix_links_verdict_since", table_name="links")
    op.drop_index("ix_links_verdict", table_name="links")
    op.drop_table("link_overrides")
