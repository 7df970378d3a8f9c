"""When standups happen, as pure functions of dates, timezones and the config."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
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
    return {day for zone in set(zones) for day in candidate_days(now, zone)}


@dataclass(frozen=True)
class Group:
    """The people of one timezone, on one of their local dates, and that date's window."""

    window: Window
    user_ids: tuple[str, ...]


def by_zone(zones: Mapping[str, ZoneInfo]) -> dict[ZoneInfo, tuple[str, ...]]:
    grouped: dict[ZoneInfo, list[str]] = {}
    for user_id, zone in zones.items():
        grouped.setdefault(zone, []).append(user_id)
    return {zone: tuple(users) for zone, users in grouped.items()}


def groups(
    zones: Mapping[str, ZoneInfo], now: datetime, settings: StandupsSection, phase: Callable[[Window], bool]
) -> list[Group]:
    """For each timezone and working local date whose window is in ``phase`` now: its people.
    Computed per timezone, not per person, so 5,000 people in 12 timezones are 24 windows."""
    found = []
    for zone, users in by_zone(zones).items():
        for day in candidate_days(now, zone):
            if is_working_day(day, settings):
                window_now = window(day, zone, settings)
                if phase(window_now):
                    found.append(Group(window_now, users))
    return found


def due_prompts(
    open_groups: Iterable[Group], away: Mapping[str, AwayRanges], already: set[tuple[str, date]]
) -> list[tuple[str, date]]:
    """People of the open windows not away that day and not prompted yet."""
    return [
        (user_id, group.window.day)
        for group in open_groups
        for user_id in group.user_ids
        if (user_id, group.window.day) not in already and not is_away(group.window.day, away.get(user_id, ()))
    ]


def summary_time(day: date, zones: Iterable[ZoneInfo], settings: StandupsSection) -> datetime | None:
    """The day's summary waits for the last timezone's cutoff."""
    cutoffs = [window(day, zone, settings).cutoff for zone in set(zones)]
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
