"""Incidents, their timeline, and the notices (pages, pings, PagerDuty events) still to deliver."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_due", "state", "next_step_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))
    outage_id: Mapped[int | None] = mapped_column(unique=True)
    state: Mapped[str] = mapped_column(String(16))  # open, acknowledged, resolved
    declared_by: Mapped[str] = mapped_column(String(32))
    declared_at: Mapped[datetime] = mapped_column(index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    next_level: Mapped[int] = mapped_column(default=0)
    rounds: Mapped[int] = mapped_column(default=0)
    next_step_at: Mapped[datetime | None]
    paged_level: Mapped[int | None]
    escalation_stopped: Mapped[bool] = mapped_column(default=False)
    acked_by: Mapped[str | None] = mapped_column(String(32))
    acked_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None]


class TimelineEntry(Base):
    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(32), default="")
    text: Mapped[str] = mapped_column(Text, default="")


class Notice(Base):
    """One delivery to make: a DM page, a user-group ping, or a PagerDuty event. Kept until sent,
    retried on every tick while it fails; a page not yet sent when the incident is acknowledged is
    cancelled, never sent."""

    __tablename__ = "incident_notices"
    __table_args__ = (Index("ix_incident_notices_pending", "sent_at", "cancelled"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dm, usergroup, pagerduty
    target: Mapped[str] = mapped_column(String(128), default="")
    action: Mapped[str] = mapped_column(String(16), default="")  # for PagerDuty: trigger, acknowledge, resolve
    level: Mapped[int | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    cancelled: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))


class Blocker(Base):
    """A production::blocker issue opened from Slack."""

    __tablename__ = "production_blockers"

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(255))
    iid: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(2048))
    opened_by: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime]
    lifted_by: Mapped[str | None] = mapped_column(String(32))
    lifted_at: Mapped[datetime | None]
