"""Standups from Slack: the `Write standup` button and ``/standup`` open the modal; its submission
posts (or edits) the answers; ``skip``, ``away`` and ``stats``."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from handlers.standups import charts, messages, schedule, service
from handlers.standups.config import StandupsSection, members
from handlers.standups.models import StandupEntry
from slackbot.charts import answer_with_chart
from slackbot.commands import CommandCall, UsageError, weeks
from slackbot.context import BotContext
from slackbot.home import HomeChanged
from slackbot.interactions import Click, Submission, text_at, value_at
from slackbot.work import Work


def member_zones(ctx: BotContext, user_ids: list[str] | None = None) -> dict[str, ZoneInfo]:
    with ctx.db.reading() as session:
        return ctx.directory.timezones(session, members(ctx.config) if user_ids is None else user_ids)


def today_for(ctx: BotContext, user_id: str) -> date:
    return schedule.local_day(ctx.clock.now(), member_zones(ctx, [user_id])[user_id])


def modal_for(ctx: BotContext, user_id: str, day: date) -> dict[str, Any]:
    with ctx.db.reading() as session:
        return messages.modal(
            day, ctx.config.section(StandupsSection).questions, session.get(StandupEntry, (user_id, day))
        )


# ----- the modal --------------------------------------------------------------------------------


def on_write(ctx: BotContext, click: Click) -> dict[str, Any] | str:
    try:
        day = date.fromisoformat(click.value)
    except ValueError:
        return "That button is from an old message; run `/standup` instead."
    return modal_for(ctx, click.user_id, day)


def on_submit(ctx: BotContext, work: Work, submission: Submission) -> dict[str, str] | None:
    values = submission.values
    answers = [
        text_at(values, f"q{i}", "answer", "value") for i in range(len(ctx.config.section(StandupsSection).questions))
    ]
    if not any(a.strip() for a in answers):
        return {"q0": "Please answer at least one question."}
    marker = value_at(values, messages.BLOCKED_BLOCK, "marker", "selected_options")
    try:
        day = date.fromisoformat(json.loads(submission.private_metadata)["day"])
    except (ValueError, KeyError, TypeError):
        return {"q0": "This form is out of date: close it and run `/standup` again."}
    blocked = isinstance(marker, list) and bool(marker)
    entry = service.record_answers(work.session, submission.user_id, day, answers, blocked, work.now)
    text = messages.posted_answers(submission.user_id, ctx.config.section(StandupsSection).questions, answers, blocked)
    service.post_answers(work, entry, ctx.channel("daily"), text)
    ctx.signals.send(work, HomeChanged((submission.user_id,)))
    return None


# ----- commands ---------------------------------------------------------------------------------


def write(ctx: BotContext, call: CommandCall) -> str | None:
    if call.text:
        raise UsageError(f"I don't know `{call.text.split()[0]}`.")
    return ctx.interactions.open_view(call.trigger_id, modal_for(ctx, call.user_id, today_for(ctx, call.user_id)))


def skip(ctx: BotContext, call: CommandCall) -> str:
    day = today_for(ctx, call.user_id)
    with ctx.work() as work:
        entry = service.entry(work.session, call.user_id, day, lock=True)
        if entry.answered_at is not None:
            return f"You already answered for {messages.day_title(day)}; nothing to skip."
        entry.skipped_at = work.now
        ctx.signals.send(work, HomeChanged((call.user_id,)))
    return f"Skipped: no standup for you on {messages.day_title(day)}. You show as away in the summary."


def away(ctx: BotContext, call: CommandCall) -> str:
    words = call.text.split()
    today = today_for(ctx, call.user_id)
    if words == ["clear"]:
        with ctx.work() as work:
            cleared = service.clear_away(work.session, call.user_id, today)
        return f"Cleared {cleared} away period(s). Standups resume on your next working day."
    if len(words) != 2:
        raise UsageError("Give the first and last day you are away: `/standup away 2026-12-21 2027-01-04`.")
    first, last = (_parse_date(w) for w in words)
    if last < first:
        raise UsageError(f"The last day ({last}) is before the first ({first}).")
    if last < today:
        raise UsageError(f"That period ended before today ({today}).")
    with ctx.work() as work:
        service.set_away(work.session, call.user_id, first, last)
    return f"Away from {messages.day_title(first)} to {messages.day_title(last)} (inclusive): no prompts then."


def stats(ctx: BotContext, call: CommandCall) -> str:
    count = weeks(call.text)
    now = ctx.clock.now()
    zones = member_zones(ctx)
    with ctx.db.reading() as session:
        since = min((schedule.local_day(now, z) for z in zones.values()), default=now.date()) - timedelta(weeks=count)
        by_person: dict[str, list[StandupEntry]] = defaultdict(list)
        for entry in service.history(session, zones, since):
            by_person[entry.user_id].append(entry)
        away = service.away_during(session, [since, now.date() + timedelta(days=1)])
    per_person = {
        user_id: _participation(ctx, user_id, zone, by_person[user_id], away, count, now)
        for user_id, zone in zones.items()
    }
    rows = [whole for whole, _weeks in per_person.values()]
    text = messages.stats(count, rows)
    weekly: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for _whole, weeks_of_person in per_person.values():
        for start, part in weeks_of_person.items():
            weekly[start][0] += part.answered
            weekly[start][1] += part.expected - part.away
    with ctx.work() as work:
        names = ctx.directory.names(work.session, [r.user_id for r in rows])
        chart = charts.data([(w, a, c) for w, (a, c) in sorted(weekly.items())], rows, names)
        title = "Standup participation"
        return answer_with_chart(work.out, call.user_id, charts.NAME, chart, title, charts.alt(chart), text)


def _participation(
    ctx: BotContext,
    user_id: str,
    zone: ZoneInfo,
    mine: list[StandupEntry],
    away: dict[str, schedule.AwayRanges],
    span_weeks: int,
    now: datetime,
) -> tuple[schedule.Participation, dict[date, schedule.Participation]]:
    """Over the whole span, and per week (by the Monday it starts on)."""
    today = schedule.local_day(now, zone)
    first = max(today - timedelta(days=7 * span_weeks - 1), min((e.day for e in mine), default=today))
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]

    def over(span: list[date]) -> schedule.Participation:
        return schedule.participation(
            user_id,
            span,
            answered={e.day for e in mine if e.answered_at},
            skipped={e.day for e in mine if e.skipped_at},
            away=away.get(user_id, ()),
            settings=ctx.config.section(StandupsSection),
            today=today,
        )

    by_week: dict[date, list[date]] = defaultdict(list)
    for day in days:
        by_week[charts.week_of(day)].append(day)
    return over(days), {start: over(span) for start, span in by_week.items()}


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"`{text}` is not a date: use YYYY-MM-DD, like 2026-12-21.") from None


def register(ctx: BotContext) -> None:
    ctx.interactions.on_click_open(messages.WRITE_ACTION, partial(on_write, ctx))
    ctx.interactions.on_submit(messages.MODAL_CALLBACK, partial(on_submit, ctx))
    router = ctx.commands.router("/standup")
    router.add("", partial(write, ctx), "write (or edit) today's standup")
    router.add("skip", partial(skip, ctx), "no standup for you today")
    router.add("away", partial(away, ctx), "no prompts on those days (inclusive); `clear` ends them", "FROM TO | clear")
    router.add("stats", partial(stats, ctx), "participation and streaks per person", "[weeks]", slow=True)
