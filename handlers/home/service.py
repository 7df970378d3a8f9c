"""The App Home: who looks at it, and what to republish when something in it changes.

A change marks the visitors' homes stale with one UPDATE in the changing transaction, so an
incident declared with 5,000 visitors does not write 5,000 rows before its pages go out. The
deliverer then turns stale homes into publishes (one pending per person, coalesced, at the lowest
priority), rendered from the current state when they are sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from handlers.home.models import HomeVisit
from slackbot.effects import Effect
from slackbot.home import HomeChanged
from slackbot.models import OutboxItem
from slackbot.outbox import Effects, Priority
from slackbot.work import Work


@dataclass(frozen=True)
class Publish(Effect):
    """``views.publish`` of one person's App Home, drawn when it is sent."""

    KIND: ClassVar[str] = "home.publish"
    user: str


BATCH = 500


def lane(user_id: str) -> str:
    return f"home:{user_id}"


def publish(out: Effects, user_id: str, priority: Priority) -> None:
    out.add_effect(Publish(user_id), lane=lane(user_id), priority=priority, coalesce=lane(user_id))


def opened(work: Work, user_id: str) -> None:
    """The person opened their Home: remember them, and publish it for them now."""
    work.session.merge(HomeVisit(user_id=user_id, opened_at=work.now, stale_at=None))
    publish(work.out, user_id, Priority.NORMAL)


VISITS = HomeVisit.__table__
assert isinstance(VISITS, Table)
STALE_EVERYONE = update(VISITS).values(stale_at=bindparam("now"))
STALE_SOME = STALE_EVERYONE.where(VISITS.c.user_id.in_(bindparam("users", expanding=True)))


def changed(work: Work, change: HomeChanged) -> None:
    """Core statements built once, on the table: this runs for nearly every event (a question asked)."""
    connection = work.session.connection()  # no ORM in between: nothing of the session is concerned
    if change.everyone:
        connection.execute(STALE_EVERYONE, {"now": work.now})
    else:
        connection.execute(STALE_SOME, {"now": work.now, "users": list(change.user_ids)})


def stale(session: Session) -> list[tuple[str, datetime]]:
    rows = session.execute(
        select(HomeVisit.user_id, HomeVisit.stale_at).where(HomeVisit.stale_at.is_not(None)).limit(BATCH)
    )
    return [(user_id, at) for user_id, at in rows if at is not None]


def queue_stale(work: Work, found: list[tuple[str, datetime]]) -> None:
    """Stale homes become publishes, skipping people who already have one pending."""
    users = [user for user, _ in found]
    pending = set(
        work.session.scalars(
            select(OutboxItem.coalesce).where(
                OutboxItem.coalesce.in_([lane(u) for u in users]), OutboxItem.state == "pending"
            )
        )
    )
    for user, marked in found:
        if lane(user) not in pending:
            publish(work.out, user, Priority.HOME)
        work.session.execute(
            update(HomeVisit)
            .where(HomeVisit.user_id == user, HomeVisit.stale_at <= marked)
            .values(stale_at=None)
            .execution_options(synchronize_session=False)
        )
