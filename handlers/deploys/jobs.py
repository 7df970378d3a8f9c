"""Scheduled, every tick: the production change locks' steps (``locks``)."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from handlers.deploys import locks
from handlers.deploys.config import DeploysSection
from slackbot.context import BotContext


def change_locks(ctx: BotContext, now: datetime) -> None:
    section = ctx.config.section(DeploysSection)
    project = section.project_of(ctx.config)
    for lock in section.change_locks:
        start, end = lock.start.replace(tzinfo=ctx.zone), lock.to.replace(tzinfo=ctx.zone)
        if start - locks.AHEAD <= now < start:
            with ctx.work() as work:
                if ctx.once(work, f"pcl-remind:{locks.key(lock)}"):
                    locks.remind(work, lock, start, end)
            continue
        with ctx.db.reading() as session:
            found = locks.state(session, lock)
            waiting = locks.end_due(session, found) if found is not None else ""
        if start <= now < end and found is None and ctx.gitlab is not None:
            with ctx.work() as work:
                if ctx.once(work, f"pcl-begin:{locks.key(lock)}"):
                    locks.begin(work, lock, project)
        elif now >= end and found is not None and not found.lifted and not waiting:
            with ctx.work() as work:
                locked = locks.state(work.session, lock)
                if locked is not None and not locked.lifted:
                    locks.finish(work, locked, project)


def register(ctx: BotContext) -> None:
    if ctx.config.section(DeploysSection).change_locks:
        ctx.scheduler.add("deploys.change_locks", partial(change_locks, ctx))
