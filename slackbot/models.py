"""Plumbing tables: what came in (inbox), what goes out (outbox), where the bot's messages are,
what has been done once, and who runs scheduled work."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class ProcessedKey(Base):
    """One row per scheduled step that has had its effect (a digest, a cadence post)."""

    __tablename__ = "processed_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    processed_at: Mapped[datetime]


class InboxItem(Base):
    """An Events API delivery or a GitLab webhook, stored before the bot answers 2xx, then processed
    off the request. ``key`` is Slack's ``event_id`` or GitLab's delivery ID, so a repeat finds it."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # slack, gitlab
    kind: Mapped[str] = mapped_column(String(64))  # the event type or GitLab object_kind
    payload: Mapped[str] = mapped_column(Text)  # the body as it arrived (JSON)
    received_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # pending, done, parked, dropped
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None]


class OutboxItem(Base):
    """One effect to deliver (a Slack call, a GitLab issue, a PagerDuty event), written in the
    transaction that decided it and delivered after it commits.

    Items of one ``lane`` (a Slack channel, a person's DM, an incident's PagerDuty events) go out one
    at a time in the order they were decided; ``priority`` orders the lanes' heads."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "priority", "id"),
        Index("ix_outbox_lane", "lane", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    lane: Mapped[str] = mapped_column(String(255))
    priority: Mapped[int]
    key: Mapped[str | None] = mapped_column(String(255), unique=True)
    ref: Mapped[str | None] = mapped_column(String(255), index=True)
    group: Mapped[str | None] = mapped_column(String(255), index=True)
    coalesce: Mapped[str | None] = mapped_column(String(255), index=True)
    wait_for: Mapped[str | None] = mapped_column(String(255))
    wait_until: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16))  # pending, sending, done, cancelled, dropped, parked
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SlackMessage(Base):
    """Where a message the bot posted landed, by the name (``ref``) its capability gave it, so
    replies and updates decided before it was posted find its channel and ts."""

    __tablename__ = "slack_messages"

    ref: Mapped[str] = mapped_column(String(255), primary_key=True)
    lane: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    posted_at: Mapped[datetime]


class SlackCache(Base):
    """What a start needs to know of the workspace, from the last start that could ask Slack: the
    bot's identity (``auth.test``) and the IDs of the configured channels."""

    __tablename__ = "slack_cache"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime]


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
