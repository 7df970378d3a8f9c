"""Alerts, the groups that put them in one message, silences, maintenance windows set from Slack,
and, per service, the incident its paging alert groups share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class AlertGroup(Base):
    """One message in the alerts channel, updated in place while its alerts fire and resolve."""

    __tablename__ = "alert_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    labels: Mapped[dict[str, str]] = mapped_column(JSON)  # what the group is named by
    service: Mapped[str] = mapped_column(String(200), default="", index=True)
    channel: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="quiet")  # quiet (never shown), firing, held, resolved
    posted: Mapped[bool] = mapped_column(default=False)
    firing_since: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    incident_id: Mapped[int | None]
    seen_by: Mapped[str | None] = mapped_column(String(32))  # `Acknowledge` on a group with no incident
    replied_at: Mapped[datetime | None]  # the last "resolved" reply
    updated_at: Mapped[datetime]

    @property
    def ref(self) -> str:
        return f"alert-group:{self.id}"


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_firing_seen", "firing", "last_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(String(255), unique=True)  # source:fingerprint
    group_id: Mapped[int] = mapped_column(index=True)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    links: Mapped[dict[str, str]] = mapped_column(JSON)
    firing: Mapped[bool]
    hidden: Mapped[str] = mapped_column(String(16), default="")  # "", silenced, maintenance
    starts_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    changes: Mapped[int] = mapped_column(default=0)  # firing ⇄ resolved: a flapping alert counts up

    @property
    def shown(self) -> bool:
        return self.firing and not self.hidden


class AlertSilence(Base):
    __tablename__ = "alert_silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    matchers: Mapped[dict[str, Any]] = mapped_column(JSON)  # label: value, all must hold
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(32))


class MaintenanceWindow(Base):
    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(32))
    cancelled: Mapped[bool] = mapped_column(default=False)


class AlertService(Base):
    """Per service, the incident its paging alert groups share: locked while a group decides to
    declare or join, so a storm of groups for one service opens one incident."""

    __tablename__ = "alert_services"

    service: Mapped[str] = mapped_column(String(200), primary_key=True)
    incident_id: Mapped[int | None]
