"""What other capabilities may use of incidents, and the question incidents ask of them. Nothing
else of ``handlers.incidents`` is imported from outside it.

- Read: ``open_incidents``, ``resolved_since``, ``last_updates`` (plain values, not rows).
- Roles (``slackbot.access``): ``ESCALATION`` (the policy's people), ``RESPONDER`` (of one incident).
- The question it asks (``ctx.providers``): ``ON_CALL``, who is on call for a rotation at a moment
  (an escalation level with ``oncall = "ROTATION"`` pages them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.incidents import service
from handlers.incidents.access import ESCALATION, RESPONDER
from handlers.incidents.models import Incident, TimelineEntry
from handlers.incidents.policy import ON_CALL, OnCall, WhoIsOnCall

__all__ = [
    "ESCALATION",
    "ON_CALL",
    "RESPONDER",
    "IncidentView",
    "OnCall",
    "StatusUpdate",
    "WhoIsOnCall",
    "last_updates",
    "open_incidents",
    "resolved_since",
]


@dataclass(frozen=True)
class IncidentView:
    id: int
    summary: str  # Slack-encoded: people's text, shown through ``slackbot.usertext``
    severity: str
    state: str  # open, acknowledged, resolved
    declared_at: datetime
    resolved_at: datetime | None
    lead: str | None


@dataclass(frozen=True)
class StatusUpdate:
    at: datetime
    text: str  # Slack-encoded


def _view(incident: Incident) -> IncidentView:
    return IncidentView(
        incident.id,
        incident.summary,
        incident.severity,
        incident.state,
        incident.declared_at,
        incident.resolved_at,
        incident.lead,
    )


def open_incidents(session: Session) -> list[IncidentView]:
    return [_view(i) for i in service.open_incidents(session)]


def resolved_since(session: Session, since: datetime) -> list[IncidentView]:
    query = (
        select(Incident)
        .where(Incident.state == "resolved", Incident.resolved_at >= since)
        .order_by(Incident.resolved_at.desc())
    )
    return [_view(i) for i in session.scalars(query)]


def last_updates(session: Session, incident_ids: list[int]) -> dict[int, StatusUpdate]:
    """Each incident's latest status update (``/incident update``)."""
    if not incident_ids:
        return {}
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id.in_(incident_ids), TimelineEntry.kind == "update")
        .order_by(TimelineEntry.id)
    )
    return {entry.incident_id: StatusUpdate(entry.at, entry.text) for entry in session.scalars(query)}
