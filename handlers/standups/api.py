"""What other capabilities may use of standups: who is away when (``/standup away`` ranges and the
team's holidays, ``[standups] holidays``). Nothing else of ``handlers.standups`` is imported from
outside it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from handlers.standups.config import StandupsSection
from handlers.standups.schedule import is_away
from handlers.standups.service import away_ranges
from slackbot.config import Config

__all__ = ["away_on", "holidays"]


def holidays(config: Config) -> frozenset[date]:
    return frozenset(config.section(StandupsSection).holidays)


def away_on(session: Session, user: str, team_holidays: frozenset[date]) -> Callable[[date], bool]:
    """Whether ``user`` is away on a date of their own: a holiday, or in one of their away ranges."""
    ranges = away_ranges(session, [user]).get(user, [])
    return lambda day: day in team_holidays or is_away(day, ranges)
