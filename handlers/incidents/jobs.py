"""Scheduled: the escalation steps that are due (first on every tick), reminders to leads who have
not posted a status update for ``update_every``, and incident channels due to be archived."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from handlers.incidents import service
from handlers.incidents.config import IncidentsSection
from slackbot.context import BotContext
from slackbot.outbox import Priority


def run_due(ctx: BotContext, now: datetime) -> None:
    with ctx.db.reading() as session:
        due = service.due(session, now)
    paging = service.Paging(ctx.pagerduty is not None, ctx.providers)
    for incident_id in due:
        with ctx.work() as work:
            service.step_if_due(work, incident_id, paging)


def remind_leads(ctx: BotContext, now: datetime) -> None:
    every = ctx.config.section(IncidentsSection).update_every
    with ctx.db.reading() as session:
        due = service.update_reminders_due(session, now, every)
    for incident_id in due:
        with ctx.work() as work:
            service.remind_update(work, incident_id, every)


def archive_rooms(ctx: BotContext, now: datetime) -> None:
    with ctx.db.reading() as session:
        due = service.rooms_to_archive(session, now, ctx.config.section(IncidentsSection).archive_after)
    for incident_id in due:
        with ctx.work() as work:
            service.archive_room(work, incident_id)


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("incidents.escalation", partial(run_due, ctx), Priority.URGENT)
    ctx.scheduler.add("incidents.update_reminders", partial(remind_leads, ctx), Priority.URGENT)
    if ctx.config.section(IncidentsSection).channel:
        ctx.scheduler.add("incidents.archive_rooms", partial(archive_rooms, ctx))
