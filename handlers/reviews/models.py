"""Review requests posted with ``/review`` and who claimed them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class ReviewRequest(Base):
    __tablename__ = "review_requests"
    __table_args__ = (
        Index("ix_review_requests_mr", "project", "mr_iid"),
        Index("ix_review_requests_open", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(255))
    mr_iid: Mapped[int]
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text, default="")  # the MR's, as GitLab's hook sent it (plain text)
    kind: Mapped[str] = mapped_column(String(16))  # "", trivial, maintainer, database, ux
    note: Mapped[str] = mapped_column(Text, default="")  # Slack-encoded, as typed
    requester: Mapped[str] = mapped_column(String(32), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # open, merged, closed
    approved_by: Mapped[list[str]] = mapped_column(JSON, default=list)  # GitLab usernames
    nudged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    @property
    def ref(self) -> str:
        """Its post in the review channel."""
        return f"review:{self.id}"


class ReviewClaim(Base):
    """One `I'll review`; the roles the person held when they claimed."""

    __tablename__ = "review_claims"
    __table_args__ = (UniqueConstraint("request_id", "user", name="uq_review_claims_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("review_requests.id", ondelete="CASCADE"), index=True)
    user: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime]
    maintainer: Mapped[bool] = mapped_column(default=False)
    database: Mapped[bool] = mapped_column(default=False)
    gitlab_state: Mapped[str] = mapped_column(String(16), default="")  # pending, set, no_account, failed
