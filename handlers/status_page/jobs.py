"""Scheduled: checks older than ``retention`` are pruned (looked for with one indexed read)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from handlers.status import api as status
from handlers.status_page.config import StatusPageSection
from slackbot.context import BotContext


def prune(ctx: BotContext, now: datetime) -> None:
    cutoff = (now - ctx.config.section(StatusPageSection).retention).astimezone(UTC).date()
    with ctx.db.reading() as session:
        if not status.stale_before(session, cutoff):
            return
    with ctx.db.transaction() as session:
        status.prune(session, cutoff)


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("status_page.prune", partial(prune, ctx))
