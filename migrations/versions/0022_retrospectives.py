"""each month's async retrospective issue, and the Slack messages added to it

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import slackbot.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retrospectives",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("requested_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("issue_iid", sa.Integer(), nullable=True),
        sa.Column("issue_url", sa.String(length=2048), nullable=True),
        sa.PrimaryKeyConstraint("month"),
    )
    op.create_table(
        "retro_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.Column("permalink", sa.String(length=2048), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("added_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["month"], ["retrospectives.month"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retro_notes_month", "retro_notes", ["month"])


def downgrade() -> None:
    op.drop_table("retro_notes")
    op.drop_table("retrospectives")
