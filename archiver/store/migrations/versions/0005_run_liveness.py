"""Runs know their process: the host beside the pid, and a heartbeat, so a run whose process died is found.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

A frozen copy, like 0001-0004: never edited once shipped, never imports archiver.store.schema.
Both columns are nullable, so SQLite's ALTER TABLE ADD COLUMN does it in place. A run written
before this revision has neither: still `running`, it is judged by its start time instead of a
heartbeat (archiver.store.runs).
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Timestamps are naive UTC on both backends (the store converts at its edge).
Timestamp = sa.DateTime(timezone=False)


def upgrade() -> None:
    op.add_column("runs", sa.Column("host", sa.String(255)))
    op.add_column("runs", sa.Column("heartbeat_at", Timestamp))
    # Every run start looks for runs still `running`: the index keeps that cheap as the table grows.
    op.create_index("ix_runs_status", "runs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_runs_status", table_name="runs")
    op.drop_column("runs", "heartbeat_at")
    op.drop_column("runs", "host")
