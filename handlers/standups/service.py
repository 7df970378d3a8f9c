"""Standup state and what it decides to send: plain functions of a unit of work and data.

The day's thread is one parent message per date (``standup-day:DATE``); each person's answers
are one reply in it (``standup:USER:DATE``), edited on a second submission. Both are named when
they are decided, so replies and edits can follow before Slack has even seen the parent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.standups import messages
from handlers.standups.models import StandupAway, StandupDay, StandupEntry
from handlers.standups.schedule import AwayRanges, Group
from slackbot.db import insert_for
from slackbot.work import Work


def away_ranges(session: Session, user_ids: Iterable[str]) -> dict[str, AwayRanges]:
    ranges: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for row in session.scalars(select(StandupAway).where(StandupAway.user_id.in_(list(user_ids)))):
        ranges[row.user_id].append((row.first, row.last))
    return dict(ranges)


def away_during(session: Session, days: Iterable[date]) -> dict[str, AwayRanges]:
    """Everyone's away ranges that touch these days (a handful of rows, whatever the team's size)."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    ranges: dict[str, list[tuple[date, date]]] = defaultdict(list)
    query = select(StandupAway).where(StandupAway.last >= wanted[0], StandupAway.first <= wanted[-1])
    for row in session.scalars(query):
        ranges[row.user_id].append((row.first, row.last))
    return dict(ranges)


def _per_day(groups: Iterable[Group]) -> dict[date, set[str]]:
    users: dict[date, set[str]] = defaultdict(set)
    for group in groups:
        users[group.window.day].update(group.user_ids)
    return users


def entered(session: Session, groups: Iterable[Group]) -> set[tuple[str, date]]:
    """(person, day) pairs of these windows that need no prompt: prompted, answered or skipped already."""
    found: set[tuple[str, date]] = set()
    for day, users in _per_day(groups).items():
        query = select(StandupEntry.user_id).where(StandupEntry.day == day, StandupEntry.user_id.in_(users))
        found |= {(user_id, day) for user_id in session.scalars(query)}
    return found


def reminders_due(session: Session, groups: Iterable[Group]) -> list[tuple[str, date]]:
    """(person, day) pairs of these windows prompted and not yet answered, skipped or reminded."""
    due: list[tuple[str, date]] = []
    for day, users in _per_day(groups).items():
        query = select(StandupEntry.user_id).where(
            StandupEntry.day == day,
            StandupEntry.user_id.in_(users),
            StandupEntry.prompted_at.is_not(None),
            StandupEntry.answered_at.is_(None),
            StandupEntry.skipped_at.is_(None),
            StandupEntry.reminded_at.is_(None),
        )
        due += [(user_id, day) for user_id in session.scalars(query)]
    return due


def needs_summary(session: Session, day: date) -> bool:
    """Read-only: the day has entries and no summary yet."""
    row = session.get(StandupDay, day)
    if row is not None and row.summarised_at is not None:
        return False
    return session.scalar(select(StandupEntry.user_id).where(StandupEntry.day == day).limit(1)) is not None


def claim_entry(session: Session, user_id: str, day: date) -> StandupEntry | None:
    """Create the person's entry for the day; None if it exists (prompted, answered or skipped)."""
    try:
        with session.begin_nested():
            entry = StandupEntry(user_id=user_id, day=day, answers=[], blocked=False)
            session.add(entry)
    except IntegrityError:
        return None
    return entry


def claim_prompts(session: Session, due: list[tuple[str, date]], now: datetime) -> list[tuple[str, date]]:
    """Create the prompted entries in one statement; returns the (person, day) pairs this call created
    (another replica's, or an answer that came meanwhile, keep theirs)."""
    if not due:
        return []
    rows = [{"user_id": u, "day": d, "answers": [], "blocked": False, "prompted_at": now} for u, d in due]
    statement = insert_for(session, StandupEntry)
    created = session.execute(
        statement.values(rows).on_conflict_do_nothing().returning(StandupEntry.user_id, StandupEntry.day)
    )
    return [(user_id, day) for user_id, day in created]


def entry(session: Session, user_id: str, day: date, lock: bool = False) -> StandupEntry:
    """The person's entry for the day, created empty if there is none yet."""
    query = select(StandupEntry).where(StandupEntry.user_id == user_id, StandupEntry.day == day)
    found = session.scalar(query.with_for_update() if lock else query)
    return found or claim_entry(session, user_id, day) or entry(session, user_id, day, lock)


def day_row(session: Session, day: date, channel_id: str) -> StandupDay:
    """The day's row, locked, so that its parent message and summary are posted once."""
    query = select(StandupDay).where(StandupDay.day == day).with_for_update()
    found = session.scalar(query)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(StandupDay(day=day, channel_id=channel_id))
    except IntegrityError:
        pass
    return session.scalars(query).one()


def entries_for(session: Session, day: date) -> list[StandupEntry]:
    return list(session.scalars(select(StandupEntry).where(StandupEntry.day == day).order_by(StandupEntry.answered_at)))


def history(session: Session, user_ids: Iterable[str], since: date) -> list[StandupEntry]:
    return list(
        session.scalars(select(StandupEntry).where(StandupEntry.user_id.in_(list(user_ids)), StandupEntry.day >= since))
    )


def set_away(session: Session, user_id: str, first: date, last: date) -> None:
    session.add(StandupAway(user_id=user_id, first=first, last=last))


def clear_away(session: Session, user_id: str, today: date) -> int:
    """Drop the person's away ranges that have not ended; past ones stay for the stats."""
    result = session.execute(
        delete(StandupAway).where(StandupAway.user_id == user_id, StandupAway.last >= today).returning(StandupAway.id)
    )
    return len(result.all())


def prompt(work: Work, user_id: str, day: date, reminder: bool = False) -> None:
    text, blocks = messages.prompt(day, reminder=reminder)
    work.slack.post(user_id, text, blocks)


def thread_of(work: Work, row: StandupDay) -> str:
    """The ref of the day's parent message, posting it (once) when it is first needed."""
    if row.thread_ref is None:
        row.thread_ref = f"standup-day:{row.day.isoformat()}"
        work.slack.post(row.channel_id, messages.parent(row.day), ref=row.thread_ref)
    return row.thread_ref


def post_answers(work: Work, entry: StandupEntry, channel_id: str, text: str) -> None:
    """The person's answers in the day's thread; a second submission edits the same reply."""
    if entry.reply_ref is not None:
        work.slack.update(entry.reply_ref, text)
        return
    thread = thread_of(work, day_row(work.session, entry.day, channel_id))
    entry.reply_ref = f"standup:{entry.user_id}:{entry.day.isoformat()}"
    work.slack.post(channel_id, text, thread_ref=thread, ref=entry.reply_ref)


def post_summary(work: Work, row: StandupDay, text: str, blocked: bool) -> None:
    thread = thread_of(work, row)
    work.slack.post(row.channel_id, text, thread_ref=thread, broadcast=blocked)
    row.summarised_at = work.now


def record_answers(
    session: Session, user_id: str, day: date, answers: list[str], blocked: bool, now: datetime
) -> StandupEntry:
    found = entry(session, user_id, day, lock=True)
    found.answers = answers
    found.blocked = blocked
    found.answered_at = found.answered_at or now
    found.skipped_at = None
    return found
