"""incident follow-ups, each a GitLab issue linked to the incident's

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import slackbot.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("issue_iid", sa.Integer(), nullable=True),
        sa.Column("issue_url", sa.String(length=2048), nullable=True),
        sa.Column("closed_at", slackbot.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incident_followups_issue", "incident_followups", ["project", "issue_iid"])
    op.create_index("ix_incident_followups_incident_id", "incident_followups", ["incident_id"])
    op.create_index("ix_incident_followups_owner", "incident_followups", ["owner"])


def downgrade() -> None:
    op.drop_table("incident_followups")
