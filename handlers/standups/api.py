"""What other capabilities may use of standups: who is away when (``/standup away`` ranges and the
team's holidays, ``[standups] holidays``), and who is at work now. Nothing else of
``handlers.standups`` is imported from outside it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.standups.config import StandupsSection
from handlers.standups.schedule import is_away, is_working_day
from handlers.standups.service import away_ranges
from slackbot.config import Config

__all__ = ["WORKING_HOURS", "at_work", "away_on", "holidays"]

WORKING_HOURS = (time(9, 0), time(18, 0))  # local time: when a person may be asked for something


def holidays(config: Config) -> frozenset[date]:
    return frozenset(config.section(StandupsSection).holidays)


def away_on(session: Session, user: str, team_holidays: frozenset[date]) -> Callable[[date], bool]:
    """Whether ``user`` is away on a date of their own: a holiday, or in one of their away ranges."""
    ranges = away_ranges(session, [user]).get(user, [])
    return lambda day: day in team_holidays or is_away(day, ranges)


def at_work(session: Session, config: Config, user: str, zone: ZoneInfo, now: datetime) -> bool:
    """Whether ``user`` is working now: a standup day of theirs (``[standups] days``, not a holiday),
    not away, and within ``WORKING_HOURS`` of their own timezone."""
    local = now.astimezone(zone)
    start, end = WORKING_HOURS
    settings = config.section(StandupsSection)
    if not is_working_day(local.date(), settings) or not start <= local.time() < end:
        return False
    return not away_on(session, user, holidays(config))(local.date())
