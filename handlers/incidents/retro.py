"""What incidents tell the monthly retrospective (``retrospectives.INCIDENTS``): each incident
declared in the month with its severity, time to acknowledge and to resolve, and its issue."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.incidents import service
from handlers.incidents.models import Followup, Incident
from handlers.retrospectives.api import RetroSection
from slackbot import usertext
from slackbot.durations import format_duration
from slackbot.mrkdwn import plain, truncate


def seen(session: Session, start: datetime, end: datetime) -> RetroSection:
    found = list(
        session.scalars(
            select(Incident).where(Incident.declared_at >= start, Incident.declared_at < end).order_by(Incident.id)
        )
    )
    if not found:
        return RetroSection("Incidents", ["No incidents. :tada:"])
    to_ack = [i.acked_at - i.declared_at for i in found if i.acked_at]
    to_resolve = [i.resolved_at - i.declared_at for i in found if i.resolved_at]
    severities = ", ".join(f"{s}: {n}" for s, n in sorted(Counter(i.severity for i in found).items()))
    ids = [i.id for i in found]
    followups = list(session.scalars(select(Followup).where(Followup.incident_id.in_(ids))))
    lines = [
        f"{len(found)} incident(s) ({severities}); MTTA {span(service.mean(to_ack))}, "
        f"MTTR {span(service.mean(to_resolve))}; "
        f"{len(followups)} follow-up(s), {sum(f.state == 'open' for f in followups)} still open.",
        "",
        "| incident | severity | summary | to acknowledge | to resolve | issue |",
        "|---|---|---|---|---|---|",
    ]
    for incident in found:
        summary = usertext.gitlab(truncate(" ".join(plain(incident.summary).split()), 200)).replace("|", "\\|")
        acked = incident.acked_at - incident.declared_at if incident.acked_at else None
        resolved = incident.resolved_at - incident.declared_at if incident.resolved_at else None
        issue = f"[issue]({incident.issue_url})" if incident.issue_url else ""
        lines.append(
            f"| #{incident.id} | {incident.severity} | {summary} | {span(acked)} | {span(resolved)} | {issue} |"
        )
    return RetroSection("Incidents", lines)


def span(value: timedelta | None) -> str:
    return format_duration(value) if value is not None else "n/a"
