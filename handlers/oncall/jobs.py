"""Scheduled, every tick: the handoffs that are due, the rotations' user groups, and the warnings a
week ahead of a shift whose person is away for part of it."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from handlers.oncall import service
from handlers.oncall.config import OncallSection
from handlers.oncall.rotations import availability, plans
from slackbot import idempotency
from slackbot.context import BotContext
from slackbot.outbox import Priority


def hand_over(ctx: BotContext, now: datetime) -> None:
    people, by_name = availability(ctx), plans(ctx)
    for rotation in ctx.config.section(OncallSection).rotations:
        plan = by_name[rotation.name]
        with ctx.db.reading() as session:
            if service.handoff_due(session, plan, now) is None:
                continue
        with ctx.work() as work:
            claimed = service.claim_handoff(work, plan)
            if claimed is not None:
                channel = ctx.channel(rotation.announce) if rotation.announce else None
                service.hand_over(work, rotation, plan, *claimed, channel, people)


def sync_usergroups(ctx: BotContext, synced: set[str], now: datetime) -> None:
    """Each rotation's user group holds whoever is on call: set once per stretch (a shift, an
    override's start and end), and once after every start of the bot (``synced``: the rotations
    this process has set), since the group may have been edited by hand, or the bot installed
    mid-shift."""
    by_name = plans(ctx)
    for rotation in (r for r in ctx.config.section(OncallSection).rotations if r.usergroup):
        with ctx.db.reading() as session:
            segment = service.who(session, by_name[rotation.name], now)
            key = f"oncall.usergroup:{rotation.name}:{segment.start.isoformat()}:{segment.user}" if segment else ""
            settled = rotation.name in synced and idempotency.claimed(session, key)
        if segment is None or settled:
            continue  # a quiet tick reads only, and takes no write lock
        with ctx.work() as work:
            if ctx.once(work, key) or rotation.name not in synced:
                service.sync_usergroup(work, rotation, segment.user)
        synced.add(rotation.name)


def warn_away(ctx: BotContext, now: datetime) -> None:
    people = availability(ctx)
    for plan in plans(ctx).values():
        with ctx.db.reading() as session:
            due = [
                s
                for s in service.shifts_to_warn(plan, now)
                if service.away_days_unwarned(session, plan, s, people, now)
            ]
        for shift in due:
            with ctx.work() as work:
                service.warn_if_away(work, plan, shift, people, ctx.config.slack.admins)


def register(ctx: BotContext) -> None:
    if ctx.config.section(OncallSection).rotations:
        ctx.scheduler.add("oncall.handoffs", partial(hand_over, ctx), Priority.URGENT)
        ctx.scheduler.add("oncall.usergroups", partial(sync_usergroups, ctx, set()), Priority.URGENT)
        ctx.scheduler.add("oncall.away_warnings", partial(warn_away, ctx))
