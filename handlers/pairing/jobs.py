"""Scheduled: unclaimed pair requests are bumped once, then expire."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from handlers.pairing import service
from handlers.pairing.config import PairingSection
from slackbot.context import BotContext
from slackbot.home import HomeChanged


def bump_and_expire(ctx: BotContext, now: datetime) -> None:
    settings = ctx.config.section(PairingSection)
    with ctx.db.reading() as session:
        due = service.due_for_ageing(session, now, settings)
    for request_id in due:
        with ctx.work() as work:
            request = service.lock(work.session, request_id)
            if request is not None:
                service.age(work, request, settings)
                ctx.signals.send(work, HomeChanged((request.requester,)))


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("pairing.bump_and_expire", partial(bump_and_expire, ctx))
