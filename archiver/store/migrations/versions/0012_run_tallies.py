"""Each run's verdict counts over the references, kept when the run ends, for the reports' history chart.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

A frozen copy: never edited once shipped, never imports archiver.store.schema.
The chart shows, per check run, how many references had each verdict after it. Replaying every
reference's observations across the last 30 runs costs a pass over the archive per report (a
minute at a million links); a run's counts never change once it has ended, so it keeps them:
one row per run that made observations. Runs from before this table are replayed as before.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=False)  # naive UTC on both backends (the store converts at its edge)


def upgrade() -> None:
    op.create_table(
        "run_tallies",
        sa.Column("run_id", Id, nullable=False),
        sa.Column("references_checked", sa.Integer(), nullable=False),
        sa.Column("verdicts", sa.JSON(), nullable=False),
        sa.Column("tallied_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_run_tallies"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_tallies_run_id_runs", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("run_tallies")
