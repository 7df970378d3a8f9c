"""What the status page shows besides the probe history (``handlers.status.history``): the
incidents open or resolved lately, and their last status updates."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.incidents.models import Incident, TimelineEntry

RESOLVED_SHOWN = timedelta(days=14)


def resolved_since(session: Session, now: datetime) -> list[Incident]:
    query = (
        select(Incident)
        .where(Incident.state == "resolved", Incident.resolved_at >= now - RESOLVED_SHOWN)
        .order_by(Incident.resolved_at.desc())
    )
    return list(session.scalars(query))


def last_updates(session: Session, incident_ids: list[int]) -> dict[int, TimelineEntry]:
    if not incident_ids:
        return {}
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id.in_(incident_ids), TimelineEntry.kind == "update")
        .order_by(TimelineEntry.id)
    )
    return {entry.incident_id: entry for entry in session.scalars(query)}
