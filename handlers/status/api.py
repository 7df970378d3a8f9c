"""What other capabilities may use of status (health probes and pipelines), and the questions
status asks of them. Nothing else of ``handlers.status`` is imported from outside it.

- Read: ``probe_names``, ``probe_statuses``, ``probes_down``; GitLab's Pipeline Hook read into a
  ``PipelineEvent`` (``pipeline_from_webhook``, raising ``WebhookRejected``); the probe history (``per_day``,
  ``per_hour``, ``Tally``, ``Hourly``, ``strip``, ``window``, ``STRIP_DAYS``) and its pruning.
- Events it publishes (``ctx.signals``): ``ProbeAlerted``.
- Questions it asks (``ctx.providers``): ``INCIDENT_DAYS`` (for its chart), ``PIPELINE_FAILED``
  (what a failed pipeline's post should offer besides the failure), ``IN_MAINTENANCE`` (whether a
  probe's service is in a maintenance window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.status.config import StatusSection
from handlers.status.events import Addition, Button, FailedPipeline, ProbeAlerted
from handlers.status.history import STRIP_DAYS, Hourly, Tally, per_day, per_hour, prune, stale_before, strip, window
from handlers.status.models import ProbeState
from handlers.status.pipelines import Job, PipelineEvent
from handlers.status.pipelines import from_webhook as pipeline_from_webhook
from slackbot.config import Config
from slackbot.providers import Key
from slackbot.work import Work

__all__ = [
    "INCIDENT_DAYS",
    "IN_MAINTENANCE",
    "PIPELINE_FAILED",
    "STRIP_DAYS",
    "Addition",
    "AdditionFor",
    "Button",
    "FailedPipeline",
    "Hourly",
    "InMaintenance",
    "IncidentDays",
    "Job",
    "PipelineEvent",
    "ProbeAlerted",
    "ProbeStatus",
    "Tally",
    "heartbeat_names",
    "per_day",
    "per_hour",
    "pipeline_from_webhook",
    "probe_names",
    "probe_statuses",
    "probes_down",
    "prune",
    "stale_before",
    "strip",
    "window",
]


@dataclass(frozen=True)
class ProbeStatus:
    name: str
    last_ok: bool | None  # None: never checked
    down: bool  # in an alerted outage
    failing_since: datetime | None


def probe_names(config: Config) -> list[str]:
    return [p.name for p in config.section(StatusSection).probes]


def heartbeat_names(config: Config) -> list[str]:
    """The heartbeats as the status page lists them beside the probes (their check-ins are their checks)."""
    return [h.outage_name for h in config.section(StatusSection).heartbeats]


def probe_statuses(session: Session) -> dict[str, ProbeStatus]:
    return {
        s.name: ProbeStatus(s.name, s.last_ok, s.outage_id is not None, s.failing_since)
        for s in session.scalars(select(ProbeState))
    }


def probes_down(session: Session) -> list[str]:
    return list(session.scalars(select(ProbeState.name).where(ProbeState.outage_id.is_not(None))))


IncidentDays = Callable[[Session, datetime], set[date]]
INCIDENT_DAYS: Key[IncidentDays] = Key("status.incident_days")
"""The UTC days since a moment on which incidents were declared (marked on the status chart)."""

InMaintenance = Callable[[Session, str, datetime], bool]
IN_MAINTENANCE: Key[InMaintenance] = Key("status.in_maintenance")
"""Whether a service (a probe's name) is in a maintenance window at a moment: its probe neither
alerts nor counts toward uptime then."""

AdditionFor = Callable[[Work, FailedPipeline], Addition | None]
PIPELINE_FAILED: Key[AdditionFor] = Key("status.pipeline_failed")
"""Heard in the unit of work that posts a failed pipeline, before it is posted."""
