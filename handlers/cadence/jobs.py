"""Cadence announcements from ``[[cadence]]``: a cron in the team timezone, a channel, a text.

Each due time is posted once: its key (the entry and the instant) is claimed with the post. A
restart up to an hour after the due time still posts it; anything older is let go.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import partial

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session

from handlers.cadence.api import PLACEHOLDERS
from handlers.cadence.config import Cadence, CadenceSection
from slackbot.context import BotContext

GRACE = timedelta(hours=1)


def due_times(cron: str, timezone: str, now: datetime, grace: timedelta = GRACE) -> list[datetime]:
    """The cron's fire times in (now - grace, now]."""
    trigger = CronTrigger.from_crontab(cron, timezone=timezone)
    times: list[datetime] = []
    fire = trigger.get_next_fire_time(None, now - grace + timedelta(microseconds=1))
    while fire is not None and fire <= now:
        times.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return times


def entry_key(entry: Cadence) -> str:
    """Stable across restarts and reordering of the config."""
    return hashlib.sha256(f"{entry.cron}|{entry.channel}|{entry.text}".encode()).hexdigest()[:16]


def announce(ctx: BotContext, now: datetime) -> None:
    entries = ctx.config.section(CadenceSection).entries
    due = [(entry, fire) for entry in entries for fire in due_times(entry.cron, ctx.config.timezone, now)]
    if not due:
        return
    with ctx.work() as work:
        for entry, fire in due:
            if ctx.once(work, f"cadence:{entry_key(entry)}:{fire.isoformat()}"):
                work.slack.post(ctx.channel(entry.channel), filled(ctx, work.session, entry.text))


def filled(ctx: BotContext, session: Session, text: str) -> str:
    """The text with the placeholders other capabilities answer (``{retrospective}``) filled in."""
    answer = ctx.providers.get(PLACEHOLDERS)
    for placeholder, value in (answer(session) if answer is not None and "{" in text else {}).items():
        text = text.replace(placeholder, value)
    return text


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("cadence.announcements", partial(announce, ctx))
