"""Periodic work whose next due time lives in the database."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slackbot.models import PeriodicMark


def claim_period(session: Session, name: str, now: datetime, interval: timedelta) -> bool:
    """True (and the next due time moved on) when ``name`` is due at ``now``; the row is locked so two
    processes cannot both claim it."""
    mark = session.scalar(select(PeriodicMark).where(PeriodicMark.name == name).with_for_update())
    if mark is None:
        try:
            with session.begin_nested():
                session.add(PeriodicMark(name=name, next_at=now + interval))
        except IntegrityError:
            return False
        return True
    if mark.next_at > now:
        return False
    mark.next_at = now + interval
    return True
