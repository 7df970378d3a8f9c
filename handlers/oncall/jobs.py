"""Scheduled, every tick: the handoffs that are due, the rotations' user groups, and the warnings a
week ahead of a shift whose person is away for part of it."""

from __future__ import annotations

from datetime import datetime

from handlers.oncall import service
from handlers.oncall.config import OncallSection
from slackbot import idempotency
from slackbot.context import BotContext
from slackbot.outbox import Priority


def register(ctx: BotContext, section: OncallSection, people: service.Availability) -> None:
    plans = section.plans(ctx.config.timezone)
    admins = ctx.config.slack.admins

    def hand_over(now: datetime) -> None:
        for rotation in section.rotations:
            plan = plans[rotation.name]
            with ctx.db.reading() as session:
                if service.handoff_due(session, plan, now) is None:
                    continue
            with ctx.work() as work:
                claimed = service.claim_handoff(work, plan)
                if claimed is not None:
                    channel = ctx.channel(rotation.announce) if rotation.announce else None
                    service.hand_over(work, rotation, plan, *claimed, channel, people)

    synced: set[str] = set()

    def sync_usergroups(now: datetime) -> None:
        """Each rotation's user group holds whoever is on call: set once per stretch (a shift, an
        override's start and end), and once after every start of the bot, since the group may have
        been edited by hand, or the bot installed mid-shift."""
        for rotation in (r for r in section.rotations if r.usergroup):
            with ctx.db.reading() as session:
                segment = service.who(session, plans[rotation.name], now)
                key = f"oncall.usergroup:{rotation.name}:{segment.start.isoformat()}:{segment.user}" if segment else ""
                settled = rotation.name in synced and idempotency.claimed(session, key)
            if segment is None or settled:
                continue  # a quiet tick reads only, and takes no write lock
            with ctx.work() as work:
                if ctx.once(work, key) or rotation.name not in synced:
                    service.sync_usergroup(work, rotation, segment.user)
            synced.add(rotation.name)

    def warn_away(now: datetime) -> None:
        for plan in plans.values():
            with ctx.db.reading() as session:
                due = [
                    s
                    for s in service.shifts_to_warn(plan, now)
                    if service.away_days_unwarned(session, plan, s, people, now)
                ]
            for shift in due:
                with ctx.work() as work:
                    service.warn_if_away(work, plan, shift, people, admins)

    if section.rotations:
        ctx.scheduler.add("oncall.handoffs", hand_over, Priority.URGENT)
        ctx.scheduler.add("oncall.usergroups", sync_usergroups, Priority.URGENT)
        ctx.scheduler.add("oncall.away_warnings", warn_away)
