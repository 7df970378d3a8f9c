"""What deploys tell the monthly retrospective (``retrospectives.DEPLOYS``): the trains of the
month, how many reached production, the failed ones, and the production change locks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.deploys.config import DeploysSection
from handlers.deploys.models import Train
from handlers.retrospectives.api import RetroSection
from slackbot import usertext


def seen(settings: DeploysSection, zone: ZoneInfo, session: Session, start: datetime, end: datetime) -> RetroSection:
    trains = list(
        session.scalars(select(Train).where(Train.created_at >= start, Train.created_at < end).order_by(Train.id))
    )
    failed = [t for t in trains if t.status == "failed"]
    lines = [
        f"{len(trains)} deploy train(s): {sum(t.deployed_at is not None for t in trains)} reached production, "
        f"{len(failed)} failed, {sum(t.expedited_at is not None for t in trains)} expedited."
    ]
    lines += [f"- Failed: [pipeline #{t.pipeline_id}]({t.url}) {usertext.gitlab(t.title)}" for t in failed]
    for lock in settings.change_locks:
        begins, ends = lock.span(zone)
        if begins < end and ends > start:
            name = usertext.gitlab(lock.name)
            lines.append(f"- Production change lock {name}: {begins:%Y-%m-%d %H:%M} to {ends:%Y-%m-%d %H:%M}")
    return RetroSection("Deploy trains and change locks", lines)
