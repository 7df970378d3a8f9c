"""Cadence announcements from ``[[cadence]]``: a cron in the team timezone, a channel, a text.

Each due time is posted once: its key (the entry and the instant) is recorded with the post. A
restart up to an hour after the due time still posts it; anything older is let go.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.triggers.cron import CronTrigger
from slack_bolt import App
from sqlalchemy.orm import Session

from slackbot.app import BotContext
from slackbot.config import Cadence

if TYPE_CHECKING:
    from slackbot.demo import Tour

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


def register(app: App, ctx: BotContext) -> None:
    def announce(now: datetime) -> None:
        for entry in ctx.config.cadence:
            for fire in due_times(entry.cron, ctx.config.timezone, now):
                ctx.once(f"cadence:{entry_key(entry)}:{fire.isoformat()}", post(entry), source="schedule")

    def post(entry: Cadence) -> Callable[[Session], object]:
        return lambda _session: ctx.client.chat_postMessage(channel=ctx.channel(entry.channel), text=entry.text)

    ctx.scheduler.add("cadence.announcements", announce)


def demo_scene(tour: Tour) -> None:
    tour.scene("Cadence announcements from the config")
    tour.narrate("the config announces the preliminary issue review at 09:00 (Madrid) on the 26th")
    tour.wait(datetime.fromisoformat("2026-11-26T07:30:00+00:00") - tour.harness.clock.now())
    tour.wait(timedelta(minutes=30))
