"""Scheduled: checks older than ``retention`` are pruned (looked for with one indexed read)."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.status import api as status
from handlers.status_page.config import StatusPageSection
from slackbot.context import BotContext


def register(ctx: BotContext) -> None:
    retention = ctx.config.section(StatusPageSection).retention

    def prune(now: datetime) -> None:
        cutoff = (now - retention).astimezone(UTC).date()
        with ctx.db.reading() as session:
            if not status.stale_before(session, cutoff):
                return
        with ctx.db.transaction() as session:
            status.prune(session, cutoff)

    ctx.scheduler.add("status_page.prune", prune)
