"""What questions tell the monthly retrospective (``retrospectives.QUESTIONS``): how many were asked
in the month, how many got a ✅ and how fast, and the slowest ones, linked."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.questions.models import Question
from handlers.retrospectives.api import RetroSection
from slackbot import usertext
from slackbot.durations import format_duration
from slackbot.mrkdwn import plain, truncate

SLOWEST = 5


def seen(session: Session, start: datetime, end: datetime) -> RetroSection:
    asked = list(session.scalars(select(Question).where(Question.created_at >= start, Question.created_at < end)))
    closed = [q for q in asked if q.closed_at is not None]
    waits = sorted(((q.closed_at - q.created_at, q) for q in closed if q.closed_at), key=lambda pair: -pair[0])
    median = (
        format_duration(timedelta(seconds=statistics.median(w.total_seconds() for w, _ in waits))) if waits else "n/a"
    )
    lines = [f"{len(asked)} question(s) asked, {len(closed)} answered with a ✅; median time to ✅ {median}."]
    for wait, question in waits[:SLOWEST]:
        preview = usertext.gitlab(truncate(" ".join(plain(question.preview).split()), 120))
        preview = preview.replace("[", "\\[").replace("]", "\\]")  # the link's label ends at "]"
        lines.append(f"- [{preview or 'a question'}]({question.permalink}): {format_duration(wait)} to ✅")
    unanswered = len(asked) - len(closed)
    if unanswered:
        lines.append(f"- {unanswered} still without a ✅.")
    return RetroSection("Questions", lines)
