"""What every on-call listener and job reads from the context: the configured rotations as plans,
and when people are away (their time zones, standup away days and the team's holidays)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.oncall import service
from handlers.oncall.config import OncallSection
from handlers.oncall.schedule import Plan
from handlers.standups import api as standups
from slackbot.context import BotContext


def plans(ctx: BotContext) -> dict[str, Plan]:
    return ctx.config.section(OncallSection).plans(ctx.config.timezone)


def availability(ctx: BotContext) -> service.Availability:
    def zone_of(session: Session, user: str) -> ZoneInfo:
        return ctx.directory.timezones(session, [user])[user]

    return service.Availability(standups.holidays(ctx.config), zone_of)
