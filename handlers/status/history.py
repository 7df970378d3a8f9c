"""Probe history, aggregated in the database: checks per probe and UTC day (tallied in
``probe_days`` as they are recorded) and per hour. Uptime is the share of checks that passed; a
day without checks has no uptime, and does not count towards a window. The status page and the
``/fulfillment status`` chart read it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, CursorResult, Integer, cast, delete, func, select
from sqlalchemy.orm import Session

from handlers.status.models import ProbeCheck, ProbeDay
from handlers.status.service import HOUR

STRIP_DAYS = 90


@dataclass(frozen=True)
class Tally:
    checks: int
    passed: int

    @property
    def uptime(self) -> float | None:
        """The share of checks that passed, or None when there were none."""
        return self.passed / self.checks if self.checks else None


def total(tallies: Iterable[Tally]) -> Tally:
    found = list(tallies)
    return Tally(sum(t.checks for t in found), sum(t.passed for t in found))


def _passed() -> ColumnElement[int]:
    return func.sum(cast(ProbeCheck.ok, Integer))


def per_day(session: Session, first: date) -> dict[str, dict[date, Tally]]:
    found: dict[str, dict[date, Tally]] = defaultdict(dict)
    for row in session.scalars(select(ProbeDay).where(ProbeDay.day >= first)):
        found[row.probe][row.day] = Tally(row.checks, row.passed)
    return dict(found)


@dataclass(frozen=True)
class Hourly:
    hour: int  # hours since the epoch, UTC
    tally: Tally
    latency_ms: float | None


def per_hour(session: Session, now: datetime) -> dict[str, list[Hourly]]:
    first = int(now.timestamp()) // HOUR - 23
    query = (
        select(ProbeCheck.probe, ProbeCheck.hour, func.count(), _passed(), func.avg(ProbeCheck.latency_ms))
        .where(ProbeCheck.hour >= first)
        .group_by(ProbeCheck.probe, ProbeCheck.hour)
        .order_by(ProbeCheck.probe, ProbeCheck.hour)
    )
    found: dict[str, list[Hourly]] = defaultdict(list)
    for probe, hour, checks, passed, latency in session.execute(query):
        found[probe].append(
            Hourly(int(hour), Tally(int(checks), int(passed or 0)), None if latency is None else float(latency))
        )
    return dict(found)


def strip(days: Mapping[date, Tally], today: date, length: int = STRIP_DAYS) -> list[tuple[date, Tally]]:
    """The last ``length`` days, oldest first; a day without checks is ``Tally(0, 0)``."""
    first = today - timedelta(days=length - 1)
    return [(first + timedelta(days=k), days.get(first + timedelta(days=k), Tally(0, 0))) for k in range(length)]


def window(days: Mapping[date, Tally], today: date, length: int) -> Tally:
    return total(t for d, t in days.items() if today - timedelta(days=length - 1) <= d <= today)


def stale_before(session: Session, cutoff: date) -> bool:
    return session.scalar(select(ProbeCheck.id).where(ProbeCheck.day < cutoff).limit(1)) is not None


def prune(session: Session, cutoff: date) -> int:
    """Drop the checks, and their days' tallies, older than the retention (days before ``cutoff``)."""
    session.execute(delete(ProbeDay).where(ProbeDay.day < cutoff))
    result = session.execute(delete(ProbeCheck).where(ProbeCheck.day < cutoff))
    return result.rowcount if isinstance(result, CursorResult) else 0
