"""The feature freeze (the handbook: "from the Friday the milestone ends to release day"): the
current GitLab milestone's due date, the Friday it falls on or before, to GitLab's release day, the
third Thursday of the month after it. Pure date arithmetic; the milestone is read from GitLab by
the poller (``jobs.read_milestone``), and the freeze announced at its start and end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.deploys.models import FeatureFreeze
from slackbot.db import upsert

FRIDAY, THURSDAY = 4, 3


@dataclass(frozen=True)
class Freeze:
    milestone: str
    starts: date  # the Friday the milestone ends
    ends: date  # release day: the freeze is over from this day on

    def holds(self, day: date) -> bool:
        return self.starts <= day < self.ends


def third_thursday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(THURSDAY - first.weekday()) % 7 + 14)


def freeze_of(milestone: str, due: date) -> Freeze:
    friday = due - timedelta(days=(due.weekday() - FRIDAY) % 7)
    release = third_thursday(due.year, due.month)
    if release <= due:
        month = due.month % 12 + 1
        release = third_thursday(due.year + (due.month == 12), month)
    return Freeze(milestone, friday, release)


def current(milestones: list[tuple[str, date]], today: date) -> Freeze | None:
    """The freeze of the milestone that ends soonest and whose freeze is not over yet."""
    freezes = sorted((freeze_of(title, due) for title, due in milestones), key=lambda f: f.starts)
    return next((f for f in freezes if today < f.ends), None)


def remember(session: Session, found: Freeze) -> None:
    values = {"milestone": found.milestone[:255], "starts_on": found.starts, "ends_on": found.ends}
    upsert(session, FeatureFreeze, values, ("milestone",))


def known(session: Session) -> list[Freeze]:
    return [Freeze(f.milestone, f.starts_on, f.ends_on) for f in session.scalars(select(FeatureFreeze))]


def holding(session: Session, day: date) -> Freeze | None:
    return next((f for f in known(session) if f.holds(day)), None)
