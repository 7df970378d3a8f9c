"""Question tracking as plain functions of a unit of work and data: state changes, and the
messages they decide, recorded in the outbox. No Slack client in here."""

from __future__ import annotations

import functools
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, bindparam, delete, func, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handlers.questions import messages
from handlers.questions.config import AutoReply, QuestionsSection
from handlers.questions.models import AnswerReaction, Question, QuestionReply
from slackbot import usertext
from slackbot.db import insert_for
from slackbot.mrkdwn import truncate
from slackbot.slack_effects import usergroup_mention
from slackbot.work import Work

PREVIEW_LENGTH = 200


@dataclass(frozen=True)
class Posted:
    """A human message in the questions channel, as its event describes it."""

    channel_id: str
    ts: str
    user_id: str
    text: str
    thread_ts: str | None
    at: datetime

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


def preview(text: str) -> str:
    """The question's text on one line, cut to ``PREVIEW_LENGTH``, inert: it is shown in listings,
    digests and the App Home, where a mention or a broadcast in it must notify nobody."""
    return truncate(usertext.slack(" ".join(text.split())), PREVIEW_LENGTH)


def find(session: Session, channel_id: str, ts: str, lock: bool = False) -> Question | None:
    query = select(Question).where(Question.channel_id == channel_id, Question.ts == ts)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


REACTIONS = AnswerReaction.__table__
assert isinstance(REACTIONS, Table)
FORGET_REACTION = delete(REACTIONS).where(
    *(REACTIONS.c[name] == bindparam(name) for name in ("channel_id", "message_ts", "user_id", "emoji"))
)


def _earliest_reply(column: Any) -> Any:
    """A reply from someone other than the asker, the earliest (a column of it, as a subquery)."""
    return (
        select(column)
        .where(
            QuestionReply.channel_id == bindparam("message_channel"),
            QuestionReply.thread_ts == bindparam("message_ts"),
            QuestionReply.user_id != bindparam("asker"),
        )
        .order_by(QuestionReply.created_at)
        .limit(1)
        .scalar_subquery()
    )


def _earliest_closing(column: Any, by_asker: bool, correlated: bool = False) -> Any:
    """The earliest qualifying ✅ on a message (a column of it, as a subquery); ``correlated``: on
    the question being updated (its asker)."""
    query = select(column).where(
        AnswerReaction.channel_id == bindparam("message_channel"), AnswerReaction.message_ts == bindparam("message_ts")
    )
    if by_asker:
        asker = Question.__table__.c.asker_id if correlated else bindparam("asker")
        query = query.where(AnswerReaction.user_id == asker)
    return query.order_by(AnswerReaction.reacted_at).limit(1).scalar_subquery()


QUESTIONS = Question.__table__
assert isinstance(QUESTIONS, Table)
FIRST_CLOSING = {
    policy: select(
        _earliest_closing(AnswerReaction.reacted_at, policy == "asker"),
        _earliest_closing(AnswerReaction.user_id, policy == "asker"),
    )
    for policy in ("anyone", "asker")
}


RECLOSE = {  # per ``closed_by``: a question's closing re-derived from its check marks
    policy: update(QUESTIONS)
    .where(QUESTIONS.c.channel_id == bindparam("message_channel"), QUESTIONS.c.ts == bindparam("message_ts"))
    .values(
        closed_at=_earliest_closing(AnswerReaction.reacted_at, policy == "asker", correlated=True),
        closed_by=_earliest_closing(AnswerReaction.user_id, policy == "asker", correlated=True),
    )
    .returning(QUESTIONS.c.asker_id)
    for policy in ("anyone", "asker")
}


@dataclass(frozen=True)
class Tracked:
    """A question just tracked."""

    id: int
    asker_id: str
    is_open: bool


@functools.cache
def _tracking(dialect: str, policy: str) -> Any:
    """One statement per database and ``closed_by``: the question inserted unless the message is
    tracked already, with its earliest reply and earliest closing ✅ found in the same statement."""
    given = [
        bindparam(name, type_=QUESTIONS.c[column].type)
        for name, column in (
            ("message_channel", "channel_id"),
            ("message_ts", "ts"),
            ("asker", "asker_id"),
            ("preview", "preview"),
            ("permalink", "permalink"),
            ("created_at", "created_at"),
        )
    ]
    found = [
        _earliest_reply(QuestionReply.created_at),
        _earliest_reply(QuestionReply.user_id),
        _earliest_closing(AnswerReaction.reacted_at, policy == "asker"),
        _earliest_closing(AnswerReaction.user_id, policy == "asker"),
    ]
    columns = ["channel_id", "ts", "asker_id", "preview", "permalink", "created_at"]
    columns += ["first_reply_at", "first_reply_by", "closed_at", "closed_by"]
    rows = select(*given, *found).where(true())  # SQLite: ON CONFLICT after a SELECT needs its WHERE
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Question).from_select(columns, rows)
    return statement.on_conflict_do_nothing(index_elements=["channel_id", "ts"]).returning(
        QUESTIONS.c.id, QUESTIONS.c.closed_at
    )


def track(session: Session, posted: Posted, permalink: str, settings: QuestionsSection) -> Tracked | None:
    """Start tracking a top-level message (None when it is tracked already); picks up replies and
    ✅ that arrived before it. One statement without the ORM: this runs for every question."""
    connection = session.connection()
    values = {
        "message_channel": posted.channel_id,
        "message_ts": posted.ts,
        "asker": posted.user_id,
        "preview": preview(posted.text),
        "permalink": permalink,
        "created_at": posted.at,
    }
    inserted = connection.execute(_tracking(connection.dialect.name, settings.closed_by), values).first()
    return Tracked(inserted[0], posted.user_id, inserted[1] is None) if inserted is not None else None


def start(work: Work, posted: Posted, link: str, settings: QuestionsSection) -> Tracked | None:
    """Track a new question and answer it with the matching auto-replies, once, in its thread."""
    question = track(work.session, posted, link, settings)
    if question is None or not question.is_open:
        return question
    replies = matching_autoreplies(posted.text, settings.autoreplies)
    if replies:
        work.slack.post(posted.channel_id, "\n\n".join(replies), thread_ts=posted.ts)
    return question


def nudge(work: Work, question: Question, settings: QuestionsSection) -> None:
    """The one reminder in the thread of a question nobody has replied to."""
    mention = usergroup_mention(settings.triage_usergroup) if settings.triage_usergroup else ""
    text = messages.nudge(mention, work.now - question.created_at)
    work.slack.post(question.channel_id, text, thread_ts=question.ts)
    question.nudged_at = work.now


def remind_asker(work: Work, question: Question) -> None:
    """The one DM to an asker whose question has replies but no ✅."""
    work.slack.post(question.asker_id, messages.asker_reminder(question))
    question.asker_reminded_at = work.now


def record_reply(session: Session, posted: Posted) -> Question | None:
    """Store a thread reply; returns the question when this is its first reply from someone else."""
    assert posted.thread_ts is not None
    if session.get(QuestionReply, (posted.channel_id, posted.ts)) is None:
        session.add(
            QuestionReply(
                channel_id=posted.channel_id,
                ts=posted.ts,
                thread_ts=posted.thread_ts,
                user_id=posted.user_id,
                created_at=posted.at,
            )
        )
    question = find(session, posted.channel_id, posted.thread_ts, lock=True)
    if question is None or question.asker_id == posted.user_id:
        return None
    if question.first_reply_at is None or posted.at < question.first_reply_at:
        question.first_reply_at, question.first_reply_by = posted.at, posted.user_id
        return question
    return None


def edit(session: Session, channel_id: str, ts: str, text: str) -> None:
    question = find(session, channel_id, ts)
    if question is not None:
        question.preview = preview(text)


def forget(session: Session, channel_id: str, ts: str) -> bool:
    """A deleted message stops being tracked, with its replies and reactions."""
    question = find(session, channel_id, ts)
    session.execute(
        delete(AnswerReaction).where(AnswerReaction.channel_id == channel_id, AnswerReaction.message_ts == ts)
    )
    session.execute(delete(QuestionReply).where(QuestionReply.channel_id == channel_id, QuestionReply.thread_ts == ts))
    if question is None:
        session.execute(delete(QuestionReply).where(QuestionReply.channel_id == channel_id, QuestionReply.ts == ts))
        return False
    session.delete(question)
    return True


@dataclass(frozen=True)
class Reaction:
    channel_id: str
    message_ts: str
    user_id: str
    emoji: str
    at: datetime
    added: bool


def react(session: Session, reaction: Reaction, settings: QuestionsSection) -> str | None:
    """Record an answered-emoji reaction (or its removal) and re-derive the question's state, in two
    statements without the ORM (the hot path); the asker of the question, if it is tracked."""
    if reaction.emoji not in settings.answered_emojis:
        return None
    connection = session.connection()
    key = {
        "channel_id": reaction.channel_id,
        "message_ts": reaction.message_ts,
        "user_id": reaction.user_id,
        "emoji": reaction.emoji,
    }
    if reaction.added:  # the same reaction twice is one row: no read first
        added = insert_for(session, AnswerReaction).values(**key, reacted_at=reaction.at)
        connection.execute(added.on_conflict_do_nothing())
    else:
        connection.execute(FORGET_REACTION, key)
    where = {"message_channel": reaction.channel_id, "message_ts": reaction.message_ts}
    asker = connection.execute(RECLOSE[settings.closed_by], where).scalar()
    for held in list(session.identity_map.values()):  # a copy loaded earlier in this unit of work
        if isinstance(held, Question) and (held.channel_id, held.ts) == (reaction.channel_id, reaction.message_ts):
            session.expire(held, ["closed_at", "closed_by"])
    return asker


def refresh_closed(session: Session, question: Question, settings: QuestionsSection) -> None:
    """Closed while a qualifying ✅ is on it: the earliest one says who closed it and when."""
    session.flush()
    closing = first_closing(session, question.channel_id, question.ts, question.asker_id, settings)
    question.closed_at, question.closed_by = closing if closing else (None, None)


def first_closing(
    session: Session, channel_id: str, ts: str, asker_id: str, settings: QuestionsSection
) -> tuple[datetime, str] | None:
    """(when, who) of the earliest qualifying ✅ on a message, if any."""
    where = {"message_channel": channel_id, "message_ts": ts, "asker": asker_id}
    at, by = session.execute(FIRST_CLOSING[settings.closed_by], where).one()
    return (at, by) if at is not None else None


def matching_autoreplies(text: str, rules: Sequence[AutoReply]) -> list[str]:
    """Replies of the rules with a keyword in the text: whole words, any case, any spacing."""
    replies = []
    for rule in rules:
        for keyword in rule.keywords:
            pattern = r"\b" + r"\s+".join(re.escape(word) for word in keyword.split()) + r"\b"
            if re.search(pattern, text, re.IGNORECASE):
                replies.append(rule.reply)
                break
    return replies


def _open_ids(session: Session, *conditions: ColumnElement[bool]) -> list[int]:
    query = select(Question.id).where(Question.closed_at.is_(None), *conditions).order_by(Question.created_at)
    return list(session.scalars(query))


def due_for_nudge(session: Session, now: datetime, after: timedelta) -> list[int]:
    return _open_ids(
        session,
        Question.first_reply_at.is_(None),
        Question.nudged_at.is_(None),
        Question.created_at <= now - after,
    )


def due_for_asker_reminder(session: Session, now: datetime, after: timedelta) -> list[int]:
    return _open_ids(
        session,
        Question.first_reply_at.is_not(None),
        Question.asker_reminded_at.is_(None),
        Question.first_reply_at <= now - after,
    )


def lock(session: Session, question_id: int) -> Question | None:
    """The question's row, locked: a ✅ or reply arriving meanwhile waits, then sees our update."""
    return session.scalar(select(Question).where(Question.id == question_id).with_for_update())


def needs_nudge(question: Question, now: datetime, after: timedelta) -> bool:
    return (
        question.is_open
        and question.first_reply_at is None
        and question.nudged_at is None
        and question.created_at <= now - after
    )


def needs_asker_reminder(question: Question, now: datetime, after: timedelta) -> bool:
    return (
        question.is_open
        and question.first_reply_at is not None
        and question.asker_reminded_at is None
        and question.first_reply_at <= now - after
    )


def open_questions(session: Session, limit: int, offset: int = 0) -> tuple[list[Question], int]:
    """Open questions oldest first, one page of them, and how many there are."""
    total = session.scalar(select(func.count()).select_from(Question).where(Question.closed_at.is_(None))) or 0
    page = session.scalars(
        select(Question).where(Question.closed_at.is_(None)).order_by(Question.created_at).limit(limit).offset(offset)
    )
    return list(page), total


@dataclass(frozen=True)
class WeekStats:
    week_start: date
    asked: int
    closed: int
    still_open: int
    first_reply_median: timedelta | None
    first_reply_p90: timedelta | None
    closed_median: timedelta | None
    closed_p90: timedelta | None


def week_start(moment: datetime, zone: ZoneInfo) -> date:
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def percentile(values: Sequence[timedelta], fraction: float) -> timedelta | None:
    """Nearest-rank percentile: the smallest value with at least ``fraction`` of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def weekly_stats(session: Session, now: datetime, weeks: int, zone: ZoneInfo) -> list[WeekStats]:
    """Per week (Monday to Sunday, team timezone) of asking, newest first: figures for the questions
    asked that week, whatever week they were answered in."""
    current = week_start(now, zone)
    first = current - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), zone)
    rows = session.execute(
        select(Question.created_at, Question.first_reply_at, Question.closed_at).where(Question.created_at >= since)
    ).all()
    buckets: dict[date, list[tuple[datetime, datetime | None, datetime | None]]] = {
        current - timedelta(weeks=i): [] for i in range(weeks)
    }
    for created, replied, closed in rows:
        buckets.setdefault(week_start(created, zone), []).append((created, replied, closed))
    result = []
    for start in sorted(buckets, reverse=True):
        asked = buckets[start]
        to_reply = [replied - created for created, replied, _ in asked if replied is not None]
        to_close = [closed - created for created, _, closed in asked if closed is not None]
        result.append(
            WeekStats(
                week_start=start,
                asked=len(asked),
                closed=len(to_close),
                still_open=len(asked) - len(to_close),
                first_reply_median=median(to_reply),
                first_reply_p90=percentile(to_reply, 0.9),
                closed_median=median(to_close),
                closed_p90=percentile(to_close, 0.9),
            )
        )
    return result


def asked_by(session: Session, user_id: str) -> list[Question]:
    """The person's open questions, oldest first."""
    return list(
        session.scalars(
            select(Question)
            .where(Question.asker_id == user_id, Question.closed_at.is_(None))
            .order_by(Question.created_at)
        )
    )
