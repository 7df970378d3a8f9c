"""the feature freeze of each milestone, and the milestone a deploy train came in the freeze of

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feature_freezes",
        sa.Column("milestone", sa.String(length=255), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("milestone"),
    )
    with op.batch_alter_table("deploy_trains") as batch:
        batch.add_column(sa.Column("freeze", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deploy_trains") as batch:
        batch.drop_column("freeze")
    op.drop_table("feature_freezes")
