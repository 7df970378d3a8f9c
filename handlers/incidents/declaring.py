"""Declaring an incident from a context: what the command, the shortcut, probe alerts, failed
deploys and other capabilities (through ``api.declare``) share."""

from __future__ import annotations

from handlers.incidents import service
from handlers.incidents.config import IncidentsSection
from slackbot.context import BotContext
from slackbot.home import HomeChanged
from slackbot.work import Work


def paging(ctx: BotContext) -> service.Paging:
    """How this deployment pages: by PagerDuty when it is configured, and whom on-call names."""
    return service.Paging(ctx.pagerduty is not None, ctx.providers)


def declare(
    ctx: BotContext,
    work: Work,
    summary: str,
    severity: str,
    source: str,
    by: str,
    outage_id: int | None = None,
    deploy: service.FailedDeploy | None = None,
) -> int:
    incident = service.declare(
        work,
        ctx.config.section(IncidentsSection),
        ctx.channel("status"),
        summary,
        severity,
        source,
        by,
        paging=paging(ctx),
        outage_id=outage_id,
        deploy=deploy,
    )
    ctx.signals.send(work, HomeChanged(everyone=True))
    return incident.id
