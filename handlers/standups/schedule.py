"""When standups happen, as pure functions of dates, timezones and the config."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.standups.config import StandupsSection
from slackbot.config import WEEKDAYS

AwayRanges = Sequence[tuple[date, date]]


@dataclass(frozen=True)
class Window:
    """One person's standup on one local date, as instants."""

    day: date
    prompt_at: datetime
    remind_at: datetime
    cutoff: datetime

    def contains(self, now: datetime) -> bool:
        return self.prompt_at <= now < self.cutoff


def window(day: date, zone: ZoneInfo, settings: StandupsSection) -> Window:
    prompt_at = datetime.combine(day, settings.time, zone)
    return Window(day, prompt_at, prompt_at + settings.remind_after, prompt_at + settings.summary_after)


def local_day(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def is_working_day(day: date, settings: StandupsSection) -> bool:
    return WEEKDAYS[day.weekday()] in settings.days and day not in settings.holidays


def is_away(day: date, ranges: AwayRanges) -> bool:
    return any(first <= day <= last for first, last in ranges)


def candidate_days(now: datetime, zone: ZoneInfo) -> list[date]:
    """The person's local date and the one before, whose window may still be open."""
    today = local_day(now, zone)
    return [today - timedelta(days=1), today]


def open_days(zones: Iterable[ZoneInfo], now: datetime) -> set[date]:
    """Every local date, across the team's timezones, whose standup window may still be open."""
    return {day for zone in zones for day in candidate_days(now, zone)}


def due_prompts(
    zones: Mapping[str, ZoneInfo],
    now: datetime,
    settings: StandupsSection,
    away: Mapping[str, AwayRanges],
    already: set[tuple[str, date]],
) -> list[tuple[str, date]]:
    """People whose prompt time has passed on a working local date, before its cutoff, not yet prompted."""
    due = []
    for user_id, zone in zones.items():
        for day in candidate_days(now, zone):
            if (
                (user_id, day) not in already
                and is_working_day(day, settings)
                and not is_away(day, away.get(user_id, ()))
                and window(day, zone, settings).contains(now)
            ):
                due.append((user_id, day))
    return due


def summary_time(day: date, zones: Iterable[ZoneInfo], settings: StandupsSection) -> datetime | None:
    """The day's summary waits for the last timezone's cutoff."""
    cutoffs = [window(day, zone, settings).cutoff for zone in zones]
    return max(cutoffs) if cutoffs else None


@dataclass(frozen=True)
class Participation:
    user_id: str
    expected: int
    answered: int
    away: int
    missed: int
    streak: int

    @property
    def rate(self) -> float | None:
        counted = self.expected - self.away
        return None if counted <= 0 else self.answered / counted


def participation(
    user_id: str,
    days: Sequence[date],
    answered: set[date],
    skipped: set[date],
    away: AwayRanges,
    settings: StandupsSection,
    today: date,
) -> Participation:
    """Figures over ``days`` (oldest first). Today counts only once answered; away days never break a streak."""
    expected = answered_count = away_count = missed = streak = 0
    for day in days:
        if not is_working_day(day, settings):
            continue
        if day in answered:
            expected += 1
            answered_count += 1
            streak += 1
        elif day in skipped or is_away(day, away):
            expected += 1
            away_count += 1
        elif day < today:
            expected += 1
            missed += 1
            streak = 0
    return Participation(user_id, expected, answered_count, away_count, missed, streak)
