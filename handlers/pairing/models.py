"""Pair-programming requests posted in the engineering channel."""

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class PairRequest(Base):
    __tablename__ = "pair_requests"
    __table_args__ = (Index("ix_pair_requests_open", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requester: Mapped[str] = mapped_column(String(32), index=True)
    topic: Mapped[str] = mapped_column(Text)
    area: Mapped[str] = mapped_column(String(255), default="")
    duration: Mapped[str] = mapped_column(String(32), default="")
    when: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # open, claimed, expired, cancelled
    channel_id: Mapped[str] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]
    bumped_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    @property
    def ref(self) -> str:
        """Its post in the engineering channel."""
        return f"pair:{self.id}"
