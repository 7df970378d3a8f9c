"""What standups tell the monthly retrospective (``retrospectives.STANDUPS``): the blockers people
reported in their standups during the month, with their last answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.retrospectives.api import RetroSection
from handlers.standups.models import StandupEntry
from slackbot import usertext
from slackbot.mrkdwn import truncate
from slackbot.people import Directory


def seen(directory: Directory, session: Session, start: datetime, end: datetime) -> RetroSection:
    found = list(
        session.scalars(
            select(StandupEntry)
            .where(StandupEntry.blocked.is_(True), StandupEntry.day >= start.date(), StandupEntry.day < end.date())
            .order_by(StandupEntry.day, StandupEntry.user_id)
        )
    )
    names = directory.names(session, sorted({e.user_id for e in found}))
    lines = [
        f"- {entry.day:%Y-%m-%d} {usertext.gitlab(names.get(entry.user_id, entry.user_id))}: "
        + usertext.gitlab(" ".join(truncate((entry.answers or [""])[-1], 300).split()))
        for entry in found
    ]
    return RetroSection("Blockers reported in standups", lines or ["None."])
