"""workspace cache and 64-bit pipeline IDs

``slack_cache`` keeps the bot's identity and its channel IDs from the last start: a start in a
large workspace no longer pages through every public channel, and a worker still boots while Slack
answers 429. GitLab pipeline IDs pass 2^31 on large instances, so their columns become BIGINT.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import slackbot.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PIPELINE_IDS = (("pipeline_records", "pipeline_id"), ("pipeline_refs", "failing_pipeline_id"))


def upgrade() -> None:
    op.create_table(
        "slack_cache",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", slackbot.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    for table, column in PIPELINE_IDS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Integer(), type_=sa.BigInteger())


def downgrade() -> None:
    for table, column in PIPELINE_IDS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, existing_type=sa.BigInteger(), type_=sa.Integer())
    op.drop_table("slack_cache")
