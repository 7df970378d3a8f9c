"""Scheduled: the nudges, the askers' reminders and the weekly digest, decided from the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from functools import partial

from handlers.questions import charts, messages, service
from handlers.questions.api import DIGEST_LINES
from handlers.questions.config import QuestionsSection
from handlers.questions.models import Question
from slackbot.charts import send as send_chart
from slackbot.context import BotContext
from slackbot.work import Work

DIGEST_TIME = time(9, 0)
DIGEST_OLDEST = 5
DIGEST_WEEKS = 13  # the digest's chart: the twelve weeks before this one


def send_nudges(ctx: BotContext, now: datetime) -> None:
    after = ctx.config.section(QuestionsSection).nudge_unreplied_after
    with ctx.db.reading() as session:
        due = service.due_for_nudge(session, now, after)
    _each(
        ctx,
        due,
        lambda q: service.needs_nudge(q, now, after),
        lambda w, q: service.nudge(w, q, ctx.config.section(QuestionsSection)),
    )


def remind_askers(ctx: BotContext, now: datetime) -> None:
    after = ctx.config.section(QuestionsSection).remind_asker_after
    with ctx.db.reading() as session:
        due = service.due_for_asker_reminder(session, now, after)
    _each(ctx, due, lambda q: service.needs_asker_reminder(q, now, after), service.remind_asker)


def _each(
    ctx: BotContext, ids: list[int], still_due: Callable[[Question], bool], act: Callable[[Work, Question], None]
) -> None:
    """Act on the due questions under their row locks if they are still due (a ✅ may have come
    meanwhile); all in one unit of work."""
    if not ids:
        return
    with ctx.work() as work:
        for question_id in ids:
            question = service.lock(work.session, question_id)
            if question is not None and still_due(question):
                act(work, question)


def post_digest(ctx: BotContext, now: datetime) -> None:
    """On Mondays from 09:00 (team time), once; a Monday the bot missed entirely is let go, and a
    week with nothing asked and nothing open posts nothing."""
    monday = service.week_start(now, ctx.zone)
    if now.astimezone(ctx.zone).date() != monday or now < datetime.combine(monday, DIGEST_TIME, ctx.zone):
        return
    with ctx.work() as work:
        if not ctx.once(work, f"questions-digest:{monday.isoformat()}"):
            return
        last_week = service.weekly_stats(work.session, now, 2, ctx.zone)[1]
        oldest, total = service.open_questions(work.session, DIGEST_OLDEST)
        if last_week.asked or total:
            channel = ctx.channel("announcements")
            more = ctx.providers.get(DIGEST_LINES)
            extra = more(work.session, now) if more is not None else []
            work.slack.post(channel, "\n".join([messages.digest(last_week, oldest, total, now), *extra]))
            recent = service.weekly_stats(work.session, now, DIGEST_WEEKS, ctx.zone)[1:]
            summary = f"Questions per week, the {len(recent)} weeks to {last_week.week_start:%-d %b}"
            send_chart(work.out, channel, charts.NAME, charts.data(recent), summary, charts.alt(recent), summary)


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("questions.nudges", partial(send_nudges, ctx))
    ctx.scheduler.add("questions.asker_reminders", partial(remind_askers, ctx))
    ctx.scheduler.add("questions.weekly_digest", partial(post_digest, ctx))
