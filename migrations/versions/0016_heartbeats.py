"""heartbeats: when each configured heartbeat last checked in

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import slackbot.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "heartbeat_states",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("watched_since", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("last_check_in_at", slackbot.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("heartbeat_states")
