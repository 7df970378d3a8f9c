"""incident channels, leads, status updates, GitLab incident issues and failed deploys

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import slackbot.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_COLUMNS = (("issue_url", 2048), ("pipeline_url", 2048))
ADDED = ("lead", "room_state", "room_channel_id", "last_update_at", "update_reminded_at", "issue_state")


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch_op:
        batch_op.add_column(sa.Column("lead", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("room_state", sa.String(length=16), nullable=False, server_default="none"))
        batch_op.add_column(sa.Column("room_channel_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("last_update_at", slackbot.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("update_reminded_at", slackbot.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("issue_state", sa.String(length=16), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("pipeline_key", sa.String(length=255), nullable=True))
        for name, length in TEXT_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch_op.add_column(sa.Column("blocker_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_incidents_pipeline_key", ["pipeline_key"])


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch_op:
        batch_op.drop_constraint("uq_incidents_pipeline_key", type_="unique")
        for name in (
            "lead",
            "room_state",
            "room_channel_id",
            "last_update_at",
            "update_reminded_at",
            "issue_state",
            "blocker_id",
        ):
            batch_op.drop_column(name)
        for name, _length in (("pipeline_key", 255), *TEXT_COLUMNS):
            batch_op.drop_column(name)
