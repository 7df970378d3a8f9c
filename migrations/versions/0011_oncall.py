"""on-call rotations: overrides, swaps, handoffs done, cover requests

The schedule itself is computed from the config; these hold what people changed and what the bot
did once per handoff or shift.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import slackbot.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("starts_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("ends_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("cancelled_at", slackbot.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_oncall_overrides_upcoming", "oncall_overrides", ["rotation", "ends_at"])
    op.create_table(
        "oncall_swaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation", sa.String(length=64), nullable=False),
        sa.Column("proposer", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("proposer_shift", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("target_shift", slackbot.db.UTCDateTime(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "oncall_handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation", sa.String(length=64), nullable=False),
        sa.Column("starts_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("handed_over_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rotation", "starts_at"),
    )
    op.create_table(
        "oncall_cover_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation", sa.String(length=64), nullable=False),
        sa.Column("shift_start", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("away_from", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("away_until", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("covered_by", sa.String(length=32), nullable=True),
        sa.Column("warned_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rotation", "shift_start", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("oncall_cover_requests")
    op.drop_table("oncall_handoffs")
    op.drop_table("oncall_swaps")
    op.drop_index("ix_oncall_overrides_upcoming", table_name="oncall_overrides")
    op.drop_table("oncall_overrides")
