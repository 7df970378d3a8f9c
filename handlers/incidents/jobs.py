"""Scheduled, first on every tick: the escalation steps that are due."""

from __future__ import annotations

from datetime import datetime

from handlers.incidents import service
from slackbot.context import BotContext
from slackbot.outbox import Priority


def register(ctx: BotContext) -> None:
    paging = service.Paging(ctx.pagerduty is not None, ctx.signals.send)

    def run_due(now: datetime) -> None:
        with ctx.db.reading() as session:
            due = service.due(session, now)
        for incident_id in due:
            with ctx.work() as work:
                service.step_if_due(work, incident_id, paging)

    ctx.scheduler.add("incidents.escalation", run_due, Priority.URGENT)
