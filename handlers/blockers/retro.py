"""What blockers tell the monthly retrospective (``retrospectives.BLOCKERS``): the production
blockers opened in the month, and how long each held deploys back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.blockers.models import Blocker
from handlers.retrospectives.api import RetroSection
from slackbot import usertext
from slackbot.durations import format_duration
from slackbot.mrkdwn import plain, truncate


def seen(session: Session, start: datetime, end: datetime) -> RetroSection:
    found = session.scalars(
        select(Blocker).where(Blocker.opened_at >= start, Blocker.opened_at < end).order_by(Blocker.id)
    )
    lines = []
    for blocker in found:
        issue = f"[#{blocker.iid}]({blocker.url})" if blocker.url and blocker.iid else "(not filed)"
        reason = usertext.gitlab(truncate(" ".join(plain(blocker.reason or blocker.title).split()), 200))
        held = (
            f"lifted after {format_duration(blocker.lifted_at - blocker.opened_at)}"
            if blocker.lifted_at
            else blocker.state
        )
        lines.append(f"- {issue} {reason} ({blocker.opened_at:%Y-%m-%d}, {held})")
    return RetroSection("Production blockers", lines or ["None."])
