"""Articles keep a clean title, the publication date as the page wrote it, and the page's modified date.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

A frozen copy, like 0001-0005: never edited once shipped, never imports archiver.store.schema.
From this revision `published` holds the date normalised to ISO 8601 UTC (a day alone when the page
gave no time) and `published_raw` the string the page wrote. Rows written before it kept the page's
string in `published`: it is copied to `published_raw` here, and `published` is normalised at the
article's next capture (a migration does not run the extraction code). All three columns are nullable,
so SQLite's ALTER TABLE ADD COLUMN does it in place.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("clean_title", sa.Text))
    op.add_column("articles", sa.Column("published_raw", sa.Text))
    op.add_column("articles", sa.Column("modified", sa.Text))
    op.execute("UPDATE articles SET published_raw = published WHERE published IS NOT NULL")


def downgrade() -> None:
    op.drop_column("articles", "modified")
    op.drop_column("articles", "published_raw")
    op.drop_column("articles", "clean_title")
