"""Scheduled: from ``[retrospectives] day`` (team time) on, the retrospective of the month before
is filed, once, whenever the bot is running that day or later in the month; never for a month that
ended before the bot first ran."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from handlers.retrospectives import service
from handlers.retrospectives.config import RetrospectivesSection
from handlers.retrospectives.models import Retrospective
from slackbot.context import BotContext


def file_when_due(ctx: BotContext, now: datetime) -> None:
    settings = ctx.config.section(RetrospectivesSection)
    month = service.due_month(now.astimezone(ctx.zone).date(), settings.day)
    if month is None:
        return
    with ctx.db.reading() as session:
        if session.get(Retrospective, month) is not None:
            return
        seen = service.witnessed(session, month, ctx.zone)
    if seen is False:
        return  # a month before the bot was running: nothing of it was seen
    with ctx.work() as work:
        if seen is None:
            service.start_watching(work)
            if not service.witnessed(work.session, month, ctx.zone):
                return
        service.request(work, month, settings.project)


def register(ctx: BotContext) -> None:
    if ctx.config.section(RetrospectivesSection).project and ctx.gitlab is not None:
        ctx.scheduler.add("retrospectives.file", partial(file_when_due, ctx))
