"""Scheduled: the escalation steps that are due (first on every tick), reminders to leads who have
not posted a status update for ``update_every``, incident channels due to be archived, and each
follow-up owner's weekly reminder."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial

from sqlalchemy.orm import Session

from handlers.incidents import followups, messages, service
from handlers.incidents.config import IncidentsSection
from handlers.questions import api as questions
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


REMINDER_TIME = time(9, 0)  # Mondays, team time


def remind_owners(ctx: BotContext, now: datetime) -> None:
    """On Mondays from 09:00 (team time), one DM per owner listing their open follow-ups; once a
    week, after a restart too (the week's key is claimed with the DM)."""
    local = now.astimezone(ctx.zone)
    if local.weekday() != 0 or local.time() < REMINDER_TIME:
        return
    monday = local.date()
    with ctx.db.reading() as session:
        owners = sorted(followups.open_by_owner(session))
    for owner in owners:
        with ctx.work() as work:
            if ctx.once(work, f"followup-reminder:{owner}:{monday.isoformat()}"):
                mine = followups.open_by_owner(work.session).get(owner, [])
                if mine:
                    work.slack.post(owner, messages.followup_reminder(mine))


def digest_lines(session: Session, now: datetime) -> list[str]:
    """The weekly questions digest's line on follow-ups (asked through ``questions.DIGEST_LINES``)."""
    still_open, done = followups.counts(session, now - timedelta(days=7))
    if not still_open and not done:
        return []
    return [f":memo: Incident follow-ups: {still_open} open, {done} done in the last 7 days."]


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("incidents.followup_reminders", partial(remind_owners, ctx))
    ctx.providers.provide(questions.DIGEST_LINES, digest_lines)
    ctx.scheduler.add("incidents.escalation", partial(run_due, ctx), Priority.URGENT)
    ctx.scheduler.add("incidents.update_reminders", partial(remind_leads, ctx), Priority.URGENT)
    if ctx.config.section(IncidentsSection).channel:
        ctx.scheduler.add("incidents.archive_rooms", partial(archive_rooms, ctx))
