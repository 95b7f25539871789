"""Cheap re-checks: validators of each capture, and the record a revisit or a 304 stands for.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

A frozen copy, like 0001 and 0002: never edited once shipped, never imports archiver.store.schema.
Every added column is nullable, so SQLite's ALTER TABLE ADD COLUMN does it in place and
captures written before this revision simply have no validators.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NEW_CAPTURE_COLUMNS = ("etag", "last_modified", "refers_to_record_id")


def upgrade() -> None:
    for name in NEW_CAPTURE_COLUMNS:
        op.add_column("captures", sa.Column(name, sa.Text))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), as 0002 does: no batch rebuild of a table others point at.
    for name in reversed(NEW_CAPTURE_COLUMNS):
        op.drop_column("captures", name)
