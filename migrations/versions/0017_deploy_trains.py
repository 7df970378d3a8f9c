"""deploy trains (one per pipeline of the deploy ref, with its stages, blocker and expedite) and
what the bot did for each production change lock

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import slackbot.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deploy_trains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("posted", sa.Boolean(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("created_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("overtaken_by", sa.Integer(), nullable=True),
        sa.Column("overtakes", sa.Integer(), nullable=True),
        sa.Column("blocker_id", sa.Integer(), nullable=True),
        sa.Column("expedited_by", sa.String(length=32), nullable=True),
        sa.Column("expedited_at", slackbot.db.UTCDateTime(), nullable=True),
        sa.Column("deployed_at", slackbot.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project", "pipeline_id", name="uq_deploy_trains_pipeline"),
    )

    op.create_table(
        "change_lock_states",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("blocker_id", sa.Integer(), nullable=True),
        sa.Column("issue_iid", sa.Integer(), nullable=True),
        sa.Column("issue_url", sa.String(length=2048), nullable=False),
        sa.Column("lifted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("change_lock_states")
    op.drop_table("deploy_trains")
