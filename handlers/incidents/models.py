"""Incidents and their timeline. Pages, pings and PagerDuty events are outbox rows in the
incident's page group (``incident:ID:pages``), so an acknowledgement cancels those not yet sent."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
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
    lead: Mapped[str | None] = mapped_column(String(32))
    room_state: Mapped[str] = mapped_column(String(16), default="none")  # none, pending, ready, refused, archived
    room_channel_id: Mapped[str | None] = mapped_column(String(32))
    last_update_at: Mapped[datetime | None]
    update_reminded_at: Mapped[datetime | None]
    issue_state: Mapped[str] = mapped_column(String(16), default="")  # "", filing, filed, failed
    issue_url: Mapped[str | None] = mapped_column(String(2048))
    pipeline_key: Mapped[str | None] = mapped_column(String(255), unique=True)  # project#id of a failed deploy
    pipeline_url: Mapped[str | None] = mapped_column(String(2048))
    blocker_id: Mapped[int | None]  # the production::blocker asked for with `Stop auto-deploy`

    @property
    def ref(self) -> str:
        """The incident's message in the status channel."""
        return f"incident:{self.id}"

    @property
    def room_lane(self) -> str:
        """The lane of its channel's creation, invitations, posts and archiving: in that order."""
        return f"incident:{self.id}:room"

    @property
    def has_room(self) -> bool:
        """Its channel is wanted and not refused: what it says goes there (or, if Slack refuses it
        after all, to the status channel's thread)."""
        return self.room_state in ("pending", "ready")

    @property
    def pages(self) -> str:
        """The group of its pages, pings and PagerDuty triggers: cancelled together."""
        return f"incident:{self.id}:pages"


class TimelineEntry(Base):
    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(32), default="")
    text: Mapped[str] = mapped_column(Text, default="")


class IncidentResponder(Base):
    """Someone brought into an incident (paged, or handed the lead): a responder from then on, who
    may act on it (CONTRACT.md, "Who may do what"), whatever the policy says later."""

    __tablename__ = "incident_responders"
    __table_args__ = (UniqueConstraint("incident_id", "user_id", name="uq_incident_responders"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime]
    why: Mapped[str] = mapped_column(String(32))  # paged, lead


class Followup(Base):
    """A follow-up of an incident (``/incident followup``, the `Follow-up` button): a GitLab issue
    linked to the incident's, with an owner reminded weekly until GitLab says it is closed."""

    __tablename__ = "incident_followups"
    __table_args__ = (Index("ix_incident_followups_issue", "project", "issue_iid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)  # Slack-encoded, as typed
    owner: Mapped[str] = mapped_column(String(32), index=True)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # open, closed
    project: Mapped[str] = mapped_column(String(255))
    issue_iid: Mapped[int | None]
    issue_url: Mapped[str | None] = mapped_column(String(2048))
    closed_at: Mapped[datetime | None]
