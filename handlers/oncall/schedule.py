"""Who is on call, computed from the rotation's config and the overrides: nothing is stored that
could drift from the config.

Shift ``n`` starts on the local date ``first_day + n * length`` at the handoff's wall-clock time in
the rotation's timezone, so a handoff stays at 10:00 local across a DST change (the shift around
it is an hour shorter or longer). An override replaces whoever is scheduled while it lasts; the
newest override wins where two overlap.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slackbot.config import WEEKDAYS

_HANDOFF = re.compile(r"(?:(?P<day>[a-z]{3})[a-z]*\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})")


@dataclass(frozen=True)
class Handoff:
    weekday: int | None  # Monday is 0; None: any day (daily rotations)
    at: time


def parse_handoff(text: str) -> Handoff:
    """ "mon 10:00" or, for a daily rotation, "10:00"."""
    found = _HANDOFF.fullmatch(text.strip().lower())
    hour, minute = (int(found["hour"]), int(found["minute"])) if found else (99, 99)
    if found is None or hour > 23 or minute > 59 or (found["day"] and found["day"] not in WEEKDAYS):
        raise ValueError(f'"{text}" is not a handoff (a weekday and a local time, such as "mon 10:00")')
    return Handoff(WEEKDAYS.index(found["day"]) if found["day"] else None, time(hour, minute))


@dataclass(frozen=True)
class Plan:
    """A rotation as the schedule needs it (built from its config section)."""

    name: str
    users: tuple[str, ...]
    handoff: Handoff
    length_days: int
    zone: ZoneInfo
    start: date

    @property
    def first_day(self) -> date:
        """The first handoff weekday on or after ``start``."""
        if self.handoff.weekday is None:
            return self.start
        return self.start + timedelta(days=(self.handoff.weekday - self.start.weekday()) % 7)

    def shift_start(self, n: int) -> datetime:
        day = self.first_day + timedelta(days=n * self.length_days)
        return datetime.combine(day, self.handoff.at, self.zone).astimezone(UTC)

    def shift_index(self, at: datetime) -> int:
        """The shift running at ``at`` (negative before the first one)."""
        days = (at.astimezone(self.zone).date() - self.first_day).days
        n = days // self.length_days
        return n - 1 if at < self.shift_start(n) else n

    def shift(self, n: int) -> Shift:
        return Shift(self.users[n % len(self.users)], self.shift_start(n), self.shift_start(n + 1), n)


@dataclass(frozen=True)
class Shift:
    user: str
    start: datetime
    end: datetime
    index: int


@dataclass(frozen=True)
class Cover:
    """An override: ``user`` is on call from ``start`` to ``end`` instead of whoever is scheduled."""

    id: int
    user: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Segment:
    """A stretch of time with one person on call; ``override`` names the override behind it."""

    user: str
    start: datetime
    end: datetime
    override: int | None = None


def shifts(plan: Plan, start: datetime, end: datetime) -> list[Shift]:
    """The scheduled shifts that overlap [start, end)."""
    n = max(plan.shift_index(start), 0)
    found = []
    while plan.shift_start(n) < end:
        found.append(plan.shift(n))
        n += 1
    return found


def segments(plan: Plan, covers: Sequence[Cover], start: datetime, end: datetime) -> list[Segment]:
    """Who is on call over [start, end), overrides applied. Pieces of one override are merged, and
    so are pieces of one scheduled shift; a shift boundary stays a boundary even when the same
    person is on call on both sides (it is a handoff, if a quiet one). Nothing before the first shift."""
    scheduled = shifts(plan, start, end)
    handoffs = {s.start for s in scheduled}
    cuts = {start, end} | handoffs | {s.end for s in scheduled}
    for cover in covers:
        cuts |= {cover.start, cover.end}
    points = sorted(t for t in cuts if start <= t <= end)
    found: list[Segment] = []
    for begin, finish in itertools.pairwise(points):
        piece = _who(scheduled, covers, begin)
        if piece is None:
            continue
        user, override = piece
        last = found[-1] if found else None
        same = last is not None and last.end == begin and (last.user, last.override) == (user, override)
        if last is not None and same and (override is not None or begin not in handoffs):
            found[-1] = Segment(user, last.start, finish, override)
        else:
            found.append(Segment(user, begin, finish, override))
    return found


def _who(scheduled: Sequence[Shift], covers: Sequence[Cover], at: datetime) -> tuple[str, int | None] | None:
    covering = [c for c in covers if c.start <= at < c.end]
    if covering:
        newest = max(covering, key=lambda c: c.id)
        return newest.user, newest.id
    shift = next((s for s in scheduled if s.start <= at < s.end), None)
    return (shift.user, None) if shift is not None else None


def on_call(plan: Plan, covers: Sequence[Cover], at: datetime) -> Segment | None:
    """Who is on call at ``at``, from when (the true start of their stretch, which names its
    handoff) and until when. ``covers`` must hold every override overlapping ``reach(plan, at)``."""
    begin, horizon = reach(plan, covers, at)
    return next((s for s in segments(plan, covers, begin, horizon) if s.start <= at < s.end), None)


def reach(plan: Plan, covers: Sequence[Cover], at: datetime) -> tuple[datetime, datetime]:
    """The window that holds the whole stretch on call at ``at``: from the start of the current shift
    or of an override covering ``at``, whichever is earlier, to two shifts ahead."""
    shift_start = plan.shift_start(max(plan.shift_index(at), 0))
    begin = min([shift_start, at] + [c.start for c in covers if c.start <= at < c.end])
    return begin, at + timedelta(days=plan.length_days * 2)


def next_shift_of(plan: Plan, user: str, after: datetime, within: int = 100) -> Shift | None:
    """``user``'s next scheduled shift that starts after ``after`` (overrides not applied)."""
    n = max(plan.shift_index(after) + 1, 0)
    for k in range(n, n + within):
        shift = plan.shift(k)
        if shift.user == user:
            return shift
    return None
