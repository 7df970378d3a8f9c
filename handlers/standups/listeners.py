"""Standups from Slack: the `Write standup` button and ``/standup`` open the modal; its submission
posts (or edits) the answers; ``skip``, ``away`` and ``stats``."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.standups import charts, messages, schedule, service
from handlers.standups.config import StandupsSection
from handlers.standups.models import StandupEntry
from slackbot.charts import answer_with_chart
from slackbot.commands import CommandCall, UsageError, weeks
from slackbot.context import BotContext
from slackbot.home import HomeChanged
from slackbot.interactions import Click, Submission, text_at, value_at
from slackbot.work import Work


class StandupListeners:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.settings = ctx.config.section(StandupsSection)
        self.questions = list(self.settings.questions)
        self.members = [p.slack for p in ctx.config.people if p.standup]

    def zones(self, user_ids: list[str] | None = None) -> dict[str, ZoneInfo]:
        with self.ctx.db.reading() as session:
            return self.ctx.directory.timezones(session, self.members if user_ids is None else user_ids)

    def today(self, user_id: str) -> date:
        return schedule.local_day(self.ctx.clock.now(), self.zones([user_id])[user_id])

    def modal_for(self, user_id: str, day: date) -> dict[str, Any]:
        with self.ctx.db.reading() as session:
            return messages.modal(day, self.questions, session.get(StandupEntry, (user_id, day)))

    # ----- the modal --------------------------------------------------------------------------------

    def on_write(self, click: Click) -> dict[str, Any] | str:
        try:
            day = date.fromisoformat(click.value)
        except ValueError:
            return "That button is from an old message; run `/standup` instead."
        return self.modal_for(click.user_id, day)

    def on_submit(self, work: Work, submission: Submission) -> dict[str, str] | None:
        values = submission.values
        answers = [text_at(values, f"q{i}", "answer", "value") for i in range(len(self.questions))]
        if not any(a.strip() for a in answers):
            return {"q0": "Please answer at least one question."}
        marker = value_at(values, messages.BLOCKED_BLOCK, "marker", "selected_options")
        try:
            day = date.fromisoformat(json.loads(submission.private_metadata)["day"])
        except (ValueError, KeyError, TypeError):
            return {"q0": "This form is out of date: close it and run `/standup` again."}
        blocked = isinstance(marker, list) and bool(marker)
        entry = service.record_answers(work.session, submission.user_id, day, answers, blocked, work.now)
        text = messages.posted_answers(submission.user_id, self.questions, answers, blocked)
        service.post_answers(work, entry, self.ctx.channel("daily"), text)
        self.ctx.signals.send(work, HomeChanged((submission.user_id,)))
        return None

    # ----- commands ---------------------------------------------------------------------------------

    def write(self, call: CommandCall) -> str | None:
        if call.text:
            raise UsageError(f"I don't know `{call.text.split()[0]}`.")
        return self.ctx.interactions.open_view(call.trigger_id, self.modal_for(call.user_id, self.today(call.user_id)))

    def skip(self, call: CommandCall) -> str:
        day = self.today(call.user_id)
        with self.ctx.work() as work:
            entry = service.entry(work.session, call.user_id, day, lock=True)
            if entry.answered_at is not None:
                return f"You already answered for {messages.day_title(day)}; nothing to skip."
            entry.skipped_at = work.now
            self.ctx.signals.send(work, HomeChanged((call.user_id,)))
        return f"Skipped: no standup for you on {messages.day_title(day)}. You show as away in the summary."

    def away(self, call: CommandCall) -> str:
        words = call.text.split()
        today = self.today(call.user_id)
        if words == ["clear"]:
            with self.ctx.work() as work:
                cleared = service.clear_away(work.session, call.user_id, today)
            return f"Cleared {cleared} away period(s). Standups resume on your next working day."
        if len(words) != 2:
            raise UsageError("Give the first and last day you are away: `/standup away 2026-12-21 2027-01-04`.")
        first, last = (_parse_date(w) for w in words)
        if last < first:
            raise UsageError(f"The last day ({last}) is before the first ({first}).")
        if last < today:
            raise UsageError(f"That period ended before today ({today}).")
        with self.ctx.work() as work:
            service.set_away(work.session, call.user_id, first, last)
        return f"Away from {messages.day_title(first)} to {messages.day_title(last)} (inclusive): no prompts then."

    def stats(self, call: CommandCall) -> str:
        count = weeks(call.text)
        now = self.ctx.clock.now()
        zones = self.zones()
        with self.ctx.db.reading() as session:
            since = min((schedule.local_day(now, z) for z in zones.values()), default=now.date()) - timedelta(
                weeks=count
            )
            by_person: dict[str, list[StandupEntry]] = defaultdict(list)
            for entry in service.history(session, zones, since):
                by_person[entry.user_id].append(entry)
            away = service.away_during(session, [since, now.date() + timedelta(days=1)])
        per_person = {
            user_id: self._participation(user_id, zone, by_person[user_id], away, count, now)
            for user_id, zone in zones.items()
        }
        rows = [whole for whole, _weeks in per_person.values()]
        text = messages.stats(count, rows)
        weekly: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for _whole, weeks_of_person in per_person.values():
            for start, part in weeks_of_person.items():
                weekly[start][0] += part.answered
                weekly[start][1] += part.expected - part.away
        with self.ctx.work() as work:
            names = self.ctx.directory.names(work.session, [r.user_id for r in rows])
            chart = charts.data([(w, a, c) for w, (a, c) in sorted(weekly.items())], rows, names)
            title = "Standup participation"
            return answer_with_chart(work.out, call.user_id, charts.NAME, chart, title, charts.alt(chart), text)

    def _participation(
        self,
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
                settings=self.settings,
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


def register(ctx: BotContext) -> StandupListeners:
    listeners = StandupListeners(ctx)
    ctx.interactions.on_click_open(messages.WRITE_ACTION, listeners.on_write)
    ctx.interactions.on_submit(messages.MODAL_CALLBACK, listeners.on_submit)
    router = ctx.commands.router("/standup")
    router.add("", listeners.write, "write (or edit) today's standup")
    router.add("skip", listeners.skip, "no standup for you today")
    router.add("away", listeners.away, "no prompts on those days (inclusive); `clear` ends them", "FROM TO | clear")
    router.add("stats", listeners.stats, "participation and streaks per person", "[weeks]", slow=True)
    return listeners
