"""probe history: every check's outcome and latency, and each day's tally, for the status page

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import slackbot.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "probe_checks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("probe", sa.String(length=255), nullable=False),
        sa.Column("at", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_probe_checks_day", "probe_checks", ["day", "probe"])
    op.create_table(
        "probe_days",
        sa.Column("probe", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("probe", "day"),
    )
    op.create_index("ix_probe_checks_hour", "probe_checks", ["hour", "probe"])


def downgrade() -> None:
    op.drop_table("probe_days")
    op.drop_index("ix_probe_checks_hour", table_name="probe_checks")
    op.drop_index("ix_probe_checks_day", table_name="probe_checks")
    op.drop_table("probe_checks")
