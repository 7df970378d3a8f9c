"""Scheduled, every tick: alerts not heard of for ``resolve_after`` resolve, and held-back alerts
whose silence or maintenance window ended are shown."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from handlers.alerts import service
from handlers.alerts.config import AlertsSection
from handlers.alerts.listeners import configured_windows, incidents_for
from slackbot.context import BotContext


def resolve_quiet(ctx: BotContext, now: datetime) -> None:
    settings = ctx.config.section(AlertsSection)
    with ctx.db.reading() as session:
        due = service.quiet_too_long(session, now, settings.resolve_after)
    if due:
        with ctx.work() as work:
            for group_id in sorted(service.resolve_quiet(work, due, settings.resolve_after)):
                service.show(work, group_id, settings, incidents_for(ctx))


def release_held(ctx: BotContext, now: datetime) -> None:
    """Held-back alerts whose hold ended are shown; a quiet tick reads only."""
    with ctx.db.reading() as session:
        due = service.releasable(session, service.quiet(session, configured_windows(ctx), now))
    if not due:
        return
    with ctx.work() as work:
        holds = service.quiet(work.session, configured_windows(ctx), work.now)
        for group_id in sorted(service.reconsider(work, due, holds)):
            service.show(work, group_id, ctx.config.section(AlertsSection), incidents_for(ctx))


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("alerts.resolve_quiet", partial(resolve_quiet, ctx))
    ctx.scheduler.add("alerts.release_held", partial(release_held, ctx))
