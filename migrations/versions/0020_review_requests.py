"""review requests (``/review``) and their claims

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import slackbot.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("mr_iid", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("requester", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("approved_by", sa.JSON(), nullable=False),
        sa.Column("nudged_at", slackbot.db.UTCDateTime(), nullable=True),
        sa.Column("closed_at", slackbot.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_requests_mr", "review_requests", ["project", "mr_iid"])
    op.create_index("ix_review_requests_open", "review_requests", ["state", "created_at"])
    op.create_index("ix_review_requests_requester", "review_requests", ["requester"])
    op.create_table(
        "review_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=32), nullable=False),
        sa.Column("at", slackbot.db.UTCDateTime(), nullable=False),
        sa.Column("maintainer", sa.Boolean(), nullable=False),
        sa.Column("database", sa.Boolean(), nullable=False),
        sa.Column("gitlab_state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["review_requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "user", name="uq_review_claims_user"),
    )
    op.create_index("ix_review_claims_request_id", "review_claims", ["request_id"])
    op.create_index("ix_review_claims_user", "review_claims", ["user"])


def downgrade() -> None:
    op.drop_table("review_claims")
    op.drop_table("review_requests")
