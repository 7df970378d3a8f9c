"""The weekly reminder's state: one row per person per ISO week, written with the DM it decides."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.async_updates import messages
from handlers.async_updates.models import AsyncUpdateReminder
from slackbot.config import WEEKDAYS
from slackbot.work import Work


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def due_at(day: date, weekday: str, at: time, zone: ZoneInfo) -> datetime:
    """This ISO week's reminder time for the week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday + timedelta(days=WEEKDAYS.index(weekday)), at, zone)


def reminded(session: Session, week: str) -> set[str]:
    return set(session.scalars(select(AsyncUpdateReminder.user_id).where(AsyncUpdateReminder.week == week)))


def remind(work: Work, user_id: str, week: str, issues: list[dict[str, Any]]) -> bool:
    """Record the week's reminder (once) and DM it when there is something to update."""
    if work.session.get(AsyncUpdateReminder, (user_id, week), with_for_update=True) is not None:
        return False
    work.session.add(AsyncUpdateReminder(user_id=user_id, week=week, checked_at=work.now, issues=issues))
    if issues:
        work.slack.post(user_id, messages.reminder_text(issues))
    return True


def latest(session: Session, user_id: str) -> list[dict[str, Any]]:
    """The issues the person's latest reminder listed (for the App Home)."""
    row = session.scalar(
        select(AsyncUpdateReminder)
        .where(AsyncUpdateReminder.user_id == user_id)
        .order_by(AsyncUpdateReminder.week.desc())
    )
    return list(row.issues) if row is not None else []
