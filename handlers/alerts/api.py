"""What other capabilities may use of alerts. Nothing else of ``handlers.alerts`` is imported from
outside it.

- Read: ``maintenance`` (ongoing and upcoming windows, from the config and from Slack),
  ``firing_groups`` (the alert groups firing now, for the status page).
- Answers (``ctx.providers``): ``status.IN_MAINTENANCE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.alerts import listeners, service
from slackbot.context import BotContext

__all__ = ["FiringGroup", "MaintenanceView", "firing_groups", "maintenance"]


@dataclass(frozen=True)
class MaintenanceView:
    service: str
    start: datetime
    end: datetime
    reason: str  # plain text as typed (shown escaped by the page)


@dataclass(frozen=True)
class FiringGroup:
    title: str  # plain text from the monitoring tool (shown escaped by the page)
    service: str
    firing: int
    since: datetime | None


def maintenance(ctx: BotContext, session: Session, now: datetime) -> list[MaintenanceView]:
    found = service.windows(session, listeners.configured_windows(ctx), now)
    return [MaintenanceView(w.service, w.start, w.end, w.reason) for w in found]


def firing_groups(session: Session) -> list[FiringGroup]:
    return [
        FiringGroup(
            " · ".join(v for v in (g.labels.get("alertname", ""), g.service) if v), g.service, n, g.firing_since
        )
        for g, n in service.firing_groups(session)
        if n
    ]
