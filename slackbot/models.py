"""Plumbing tables: what has already been done once, and who runs scheduled work."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class ProcessedKey(Base):
    """One row per inbound event, webhook delivery or scheduled step that has had its effect."""

    __tablename__ = "processed_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    processed_at: Mapped[datetime]


class SchedulerLease(Base):
    """Exactly one process holds the lease and runs scheduled work until it stops renewing it."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]


class SlackProfile(Base):
    """What the bot last read of a Slack user's profile; the timezone is what it is kept for."""

    __tablename__ = "slack_profiles"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    tz: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime]


class PeriodicMark(Base):
    """When a periodic job (a poller, a weekly reminder) is next due; kept so a restart neither
    skips nor repeats it."""

    __tablename__ = "periodic_marks"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    next_at: Mapped[datetime]
