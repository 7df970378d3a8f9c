"""Scheduled: the escalation steps that are due (first on every tick), reminders to leads who have
not posted a status update for ``update_every``, and incident channels due to be archived."""

from __future__ import annotations

from datetime import datetime

from handlers.incidents import service
from handlers.incidents.config import IncidentsSection
from slackbot.context import BotContext
from slackbot.outbox import Priority


def register(ctx: BotContext) -> None:
    settings = ctx.config.section(IncidentsSection)
    paging = service.Paging(ctx.pagerduty is not None, ctx.providers)

    def run_due(now: datetime) -> None:
        with ctx.db.reading() as session:
            due = service.due(session, now)
        for incident_id in due:
            with ctx.work() as work:
                service.step_if_due(work, incident_id, paging)

    def remind_leads(now: datetime) -> None:
        with ctx.db.reading() as session:
            due = service.update_reminders_due(session, now, settings.update_every)
        for incident_id in due:
            with ctx.work() as work:
                service.remind_update(work, incident_id, settings.update_every)

    def archive_rooms(now: datetime) -> None:
        with ctx.db.reading() as session:
            due = service.rooms_to_archive(session, now, settings.archive_after)
        for incident_id in due:
            with ctx.work() as work:
                service.archive_room(work, incident_id)

    ctx.scheduler.add("incidents.escalation", run_due, Priority.URGENT)
    ctx.scheduler.add("incidents.update_reminders", remind_leads, Priority.URGENT)
    if settings.channel:
        ctx.scheduler.add("incidents.archive_rooms", archive_rooms)
