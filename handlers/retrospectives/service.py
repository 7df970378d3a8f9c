"""The monthly retrospective as state: which month is due, the issue asked for once (the month is
the key, so a restart or a second replica never files it twice), and the messages added to it."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.retrospectives.models import RetroNote, Retrospective
from slackbot.db import insert_for
from slackbot.effects import Effect
from slackbot.models import PeriodicMark
from slackbot.work import Work


@dataclass(frozen=True)
class FileRetro(Effect):
    """File the month's retrospective issue with what the bot saw in it."""

    KIND: ClassVar[str] = "retrospectives.file"
    month: str


@dataclass(frozen=True)
class AddNote(Effect):
    """Add a Slack message to the retrospective issue as a comment."""

    KIND: ClassVar[str] = "retrospectives.note"
    note: int
    response_url: str  # where the person who added it hears back


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def filing_day(year: int, month: int, day: int) -> date:
    """``day`` of that month, or its last day in a shorter month."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def due_month(today: date, day: int) -> str | None:
    """The month a retrospective is due for on ``today`` (the one before), from its filing day on."""
    if today < filing_day(today.year, today.month, day):
        return None
    first = today.replace(day=1)
    return month_of(date(first.year - 1, 12, 1) if first.month == 1 else first.replace(month=first.month - 1))


def span(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in the team's timezone."""
    year, number = (int(part) for part in month.split("-"))
    following = (year + 1, 1) if number == 12 else (year, number + 1)
    return (
        datetime.combine(date(year, number, 1), time(0), zone),
        datetime.combine(date(*following, 1), time(0), zone),
    )


WATCHING = "retrospectives.watching_since"  # a periodic mark: when the bot first looked for a due month


def witnessed(session: Session, month: str, zone: ZoneInfo) -> bool | None:
    """Whether the bot was running during ``month`` (a bot installed on 23 November files no
    October retrospective); None before it has ever looked."""
    mark = session.get(PeriodicMark, WATCHING)
    return None if mark is None else span(month, zone)[1] > mark.next_at


def start_watching(work: Work) -> None:
    row = {"name": WATCHING, "next_at": work.now}
    work.session.execute(insert_for(work.session, PeriodicMark).values(**row).on_conflict_do_nothing())


def request(work: Work, month: str, project: str) -> bool:
    """Ask for the month's issue once: True the first time."""
    row = {"month": month, "project": project, "requested_at": work.now}
    inserted = work.session.execute(
        insert_for(work.session, Retrospective).values(**row).on_conflict_do_nothing().returning(Retrospective.month)
    ).first()
    if inserted is None:
        return False
    work.out.add_effect(FileRetro(month), lane=f"gitlab:{project}")
    return True


def filed(work: Work, month: str, iid: int, url: str) -> None:
    found = work.session.get(Retrospective, month, with_for_update=True)
    if found is not None:
        found.issue_iid, found.issue_url = iid, url


def current(session: Session) -> Retrospective | None:
    """The latest retrospective issue GitLab has: the one messages are added to."""
    return session.scalar(
        select(Retrospective).where(Retrospective.issue_url.is_not(None)).order_by(Retrospective.month.desc()).limit(1)
    )


def add_note(
    work: Work, retro: Retrospective, text: str, author: str, permalink: str, added_by: str, response_url: str
) -> RetroNote:
    note = RetroNote(
        month=retro.month, text=text, author=author, permalink=permalink, added_by=added_by, added_at=work.now
    )
    work.session.add(note)
    work.session.flush()
    work.out.add_effect(AddNote(note.id, response_url), lane=f"gitlab:{retro.project}")
    return note
