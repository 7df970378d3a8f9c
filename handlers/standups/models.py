"""Standups: one entry per person per local date, the daily thread, and away ranges."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class StandupEntry(Base):
    """A person's standup on one of their local dates: prompted, reminded, answered or skipped."""

    __tablename__ = "standup_entries"
    __table_args__ = (Index("ix_standup_entries_day", "day"),)

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    prompted_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    skipped_at: Mapped[datetime | None]
    answers: Mapped[list[str]] = mapped_column(JSON, default=list)
    blocked: Mapped[bool] = mapped_column(default=False)
    reply_ref: Mapped[str | None] = mapped_column(String(64))  # the posted answers, once decided


class StandupDay(Base):
    """The day's parent message in the daily channel (once decided), and when its summary was."""

    __tablename__ = "standup_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ref: Mapped[str | None] = mapped_column(String(64))
    summarised_at: Mapped[datetime | None]


class StandupAway(Base):
    """A person is away from ``first`` to ``last``, inclusive, in their own dates."""

    __tablename__ = "standup_away"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date] = mapped_column(Date)
