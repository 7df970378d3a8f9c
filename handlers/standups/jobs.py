"""Scheduled: prompts at each person's local time, one reminder, and the day's summary.

All timing is computed from the database on each tick, so a restart, a late tick or a second
replica neither loses nor doubles a prompt: a prompt's row, keyed (person, date), commits with
the prompt's outbox row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from functools import partial
from itertools import islice
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.standups import messages, schedule, service
from handlers.standups.config import StandupsSection, members
from slackbot.context import BotContext
from slackbot.outbox import Priority
from slackbot.work import Work

BATCH = 500
T = TypeVar("T")


def batches(items: Sequence[T], size: int = BATCH) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def send_prompts(ctx: BotContext, now: datetime) -> None:
    with ctx.db.reading() as session:
        zones = known_zones(ctx, session)
        open_groups = schedule.groups(zones, now, ctx.config.section(StandupsSection), lambda w: w.contains(now))
        if not open_groups:
            return
        already = service.entered(session, open_groups)
        away = service.away_during(session, {g.window.day for g in open_groups})
    for chunk in batches(schedule.due_prompts(open_groups, away, already)):
        with ctx.work() as work:
            for user_id, day in service.claim_prompts(work.session, chunk, now):
                service.prompt(work, user_id, day)


def known_zones(ctx: BotContext, session: Session) -> dict[str, ZoneInfo]:
    """The members' timezones, leaving out those whose timezone Slack has not told yet."""
    zones = ctx.directory.people_zones(session)
    people = members(ctx.config)
    unknown = ctx.directory.not_yet_known(session, people)
    return {m: zones[m] for m in people if m not in unknown}


def send_reminders(ctx: BotContext, now: datetime) -> None:
    with ctx.db.reading() as session:
        zones = known_zones(ctx, session)
        reminding = schedule.groups(
            zones, now, ctx.config.section(StandupsSection), lambda w: w.remind_at <= now < w.cutoff
        )
        due = service.reminders_due(session, reminding) if reminding else []

    def remind(work: Work, person_day: tuple[str, date]) -> None:
        user_id, day = person_day
        entry = service.entry(work.session, user_id, day, lock=True)
        if entry.reminded_at is None and entry.answered_at is None and entry.skipped_at is None:
            service.prompt(work, user_id, day, reminder=True)
            entry.reminded_at = now

    _in_batches(ctx, due, remind)


def _in_batches(ctx: BotContext, due: list[tuple[str, date]], step: Callable[[Work, tuple[str, date]], None]) -> None:
    """A unit of work per few hundred people: a 5,000-person morning commits in a handful of
    short transactions, and their DMs go out as the pace allows."""
    for chunk in batches(due):
        with ctx.work() as work:
            for person_day in chunk:
                step(work, person_day)


def post_summaries(ctx: BotContext, now: datetime) -> None:
    with ctx.db.reading() as session:
        zones = known_zones(ctx, session)
        due = [
            day
            for day in sorted(schedule.open_days(zones.values(), now))
            if _summary_due(ctx, day, zones, now) and service.needs_summary(session, day)
        ]
    for day in due:
        with ctx.work() as work:
            _summarise(ctx, work, day, zones)


def _summary_due(ctx: BotContext, day: date, zones: dict[str, ZoneInfo], now: datetime) -> bool:
    settings = ctx.config.section(StandupsSection)
    due_at = schedule.summary_time(day, zones.values(), settings)
    return schedule.is_working_day(day, settings) and due_at is not None and now >= due_at


def _summarise(ctx: BotContext, work: Work, day: date, zones: dict[str, ZoneInfo]) -> None:
    row = service.day_row(work.session, day, ctx.channel("daily"))
    entries = service.entries_for(work.session, day)
    if row.summarised_at is not None or not entries:
        return
    away_ranges = service.away_during(work.session, [day])
    answered = [e.user_id for e in entries if e.answered_at is not None]
    away = sorted(
        {e.user_id for e in entries if e.skipped_at is not None}
        | {u for u in zones if schedule.is_away(day, away_ranges.get(u, ()))}
    )
    missed = [e.user_id for e in entries if e.prompted_at and e.answered_at is None and e.user_id not in away]
    blockers = [
        (e.user_id, messages.blocker_text(ctx.config.section(StandupsSection).questions, e))
        for e in entries
        if e.answered_at and e.blocked
    ]
    everyone = sorted({*answered, *away, *missed, *(u for u, _ in blockers)})
    names = ctx.directory.names(work.session, everyone)
    text = messages.summary(day, answered, away, sorted(missed), blockers, names)
    service.post_summary(work, row, text, blocked=bool(blockers))


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("people.refresh_profiles", ctx.directory.refresh, background=True)
    ctx.scheduler.add("standups.prompts", partial(send_prompts, ctx))
    ctx.scheduler.add("standups.reminders", partial(send_reminders, ctx))
    ctx.scheduler.add("standups.summaries", partial(post_summaries, ctx), Priority.NORMAL)
