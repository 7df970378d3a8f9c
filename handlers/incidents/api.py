"""What other capabilities may use of incidents, and the question incidents ask of them. Nothing
else of ``handlers.incidents`` is imported from outside it.

- Read: ``open_incidents``, ``resolved_since``, ``last_updates``, ``is_open`` (plain values, not rows).
- Act, in the caller's unit of work: ``declare`` (and page), ``acknowledge`` (asks who may),
  ``tell`` (a line on the timeline and in the incident's thread).
- Roles (``slackbot.access``): ``ESCALATION`` (the policy's people), ``RESPONDER`` (of one incident).
- The questions it asks (``ctx.providers``): ``ON_CALL``, who is on call for a rotation at a moment
  (an escalation level with ``oncall = "ROTATION"`` pages them); ``RECENT_DEPLOYS``, the production
  deploys of the 6 hours before an incident (on its timeline, in its thread and its GitLab issue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.incidents import declaring, service
from handlers.incidents.access import ACKNOWLEDGE, ESCALATION, RESPONDER
from handlers.incidents.models import Incident, TimelineEntry
from handlers.incidents.policy import ON_CALL, RECENT_DEPLOYS, DeploysBetween, OnCall, RecentDeploy, WhoIsOnCall
from slackbot.context import BotContext
from slackbot.work import Work

__all__ = [
    "ESCALATION",
    "ON_CALL",
    "RECENT_DEPLOYS",
    "RESPONDER",
    "DeploysBetween",
    "IncidentView",
    "OnCall",
    "RecentDeploy",
    "StatusUpdate",
    "WhoIsOnCall",
    "acknowledge",
    "declare",
    "is_open",
    "last_updates",
    "open_incidents",
    "resolved_since",
    "tell",
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


def is_open(session: Session, incident_id: int) -> bool:
    """Open or acknowledged: not resolved yet."""
    incident = session.get(Incident, incident_id)
    return incident is not None and incident.state != "resolved"


def declare(ctx: BotContext, work: Work, summary: str, severity: str, source: str) -> int:
    """Open an incident declared by the bot itself and page its escalation policy. ``summary`` is
    Slack-encoded (people's and tools' text made inert by the caller)."""
    return declaring.declare(ctx, work, summary, severity, source, "fulfillbot")


def acknowledge(ctx: BotContext, work: Work, incident_id: int, user: str) -> str | None:
    """As its `Acknowledge` button: its responders and admins only (raises ``NotAllowed``)."""
    incident = service.lock(work.session, incident_id)
    if incident is None:
        return "That incident no longer exists."
    ctx.access.require(ACKNOWLEDGE, user, incident, work.session)
    return service.acknowledge(work, incident, user)


def tell(work: Work, incident_id: int, text: str) -> None:
    """A line on the incident's timeline and in its status thread (Slack-encoded ``text``)."""
    incident = service.lock(work.session, incident_id)
    if incident is not None:
        service.note(work, incident, "note", "fulfillbot", text)
        service.thread(work, incident, text)
