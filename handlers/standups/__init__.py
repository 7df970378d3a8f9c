"""Daily standups in the daily channel: a prompt at each person's local time, answers in a modal,
one reply per person in the day's thread, one reminder, and a summary with the blockers.

All timing is computed from the database on each scheduler tick, so a restart, a late tick or a
second replica neither loses nor doubles a prompt.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers.standups import messages, schedule, service
from handlers.standups.models import StandupDay, StandupEntry
from slackbot.app import BotContext
from slackbot.commands import CommandCall, UsageError, weeks
from slackbot.people import Directory
from slackbot.signals import HomeChanged

if TYPE_CHECKING:
    from slackbot.demo import Tour

log = logging.getLogger(__name__)


class Standups:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.settings = ctx.config.standups
        self.questions = list(self.settings.questions)
        self.directory = Directory(ctx.config, ctx.db, ctx.client)
        self.members = [p.slack for p in ctx.config.people if p.standup]

    @property
    def channel_id(self) -> str:
        return self.ctx.channel("daily")

    def zones(self, session: Session, user_ids: list[str] | None = None) -> dict[str, ZoneInfo]:
        return self.directory.timezones(session, self.members if user_ids is None else user_ids)

    def today(self, user_id: str) -> date:
        with self.ctx.db.reading() as session:
            zone = self.zones(session, [user_id])[user_id]
        return schedule.local_day(self.ctx.clock.now(), zone)

    # ----- scheduled -------------------------------------------------------------------------------

    def send_prompts(self, now: datetime) -> None:
        with self.ctx.db.reading() as session:
            zones = self.zones(session)
            days = schedule.open_days(zones.values(), now)
            due = schedule.due_prompts(
                zones, now, self.settings, service.away_ranges(session, zones), service.prompted(session, days)
            )

        def prompt(session: Session, person_day: tuple[str, date]) -> None:
            user_id, day = person_day
            entry = service.claim_entry(session, user_id, day)
            if entry is not None:
                self._dm(user_id, *messages.prompt(day))
                entry.prompted_at = now

        self.ctx.each(due, prompt, "standup prompt")

    def send_reminders(self, now: datetime) -> None:
        with self.ctx.db.reading() as session:
            zones = self.zones(session)
            days = schedule.open_days(zones.values(), now)
            due = [
                (e.user_id, e.day)
                for e in service.due_reminders(session, days)
                if e.user_id in zones and self._reminder_due(e, zones[e.user_id], now)
            ]

        def remind(session: Session, person_day: tuple[str, date]) -> None:
            user_id, day = person_day
            entry = service.entry(session, user_id, day, lock=True)
            if entry.reminded_at is None and entry.answered_at is None and entry.skipped_at is None:
                self._dm(user_id, *messages.prompt(day, reminder=True))
                entry.reminded_at = now

        self.ctx.each(due, remind, "standup reminder")

    def _reminder_due(self, entry: StandupEntry, zone: ZoneInfo, now: datetime) -> bool:
        window = schedule.window(entry.day, zone, self.settings)
        return window.remind_at <= now < window.cutoff

    def post_summaries(self, now: datetime) -> None:
        with self.ctx.db.reading() as session:
            zones = self.zones(session)
        days = schedule.open_days(zones.values(), now)
        due = [day for day in sorted(days) if self._summary_due(day, zones, now)]
        self.ctx.each(due, lambda session, day: self._post_summary(session, day, zones), "standup summary")

    def _summary_due(self, day: date, zones: dict[str, ZoneInfo], now: datetime) -> bool:
        due_at = schedule.summary_time(day, zones.values(), self.settings)
        return schedule.is_working_day(day, self.settings) and due_at is not None and now >= due_at

    def _post_summary(self, session: Session, day: date, zones: dict[str, ZoneInfo]) -> None:
        row = service.day_row(session, day, self.channel_id)
        entries = service.entries_for(session, day)
        if row.summary_ts is not None or not entries:
            return
        away_ranges = service.away_ranges(session, zones)
        answered = [e.user_id for e in entries if e.answered_at is not None]
        away = sorted(
            {e.user_id for e in entries if e.skipped_at is not None}
            | {u for u in zones if schedule.is_away(day, away_ranges.get(u, ()))}
        )
        missed = [e.user_id for e in entries if e.prompted_at and e.answered_at is None and e.user_id not in away]
        blockers = [
            (e.user_id, messages.blocker_text(self.questions, e)) for e in entries if e.answered_at and e.blocked
        ]
        thread_ts = self._parent(row)
        posted = self.ctx.client.chat_postMessage(
            channel=row.channel_id,
            thread_ts=thread_ts,
            text=messages.summary(day, answered, away, sorted(missed), blockers),
            reply_broadcast=bool(blockers),
        )
        row.summary_ts = posted["ts"]

    def _dm(self, user_id: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self.ctx.client.chat_postMessage(channel=user_id, text=text, blocks=blocks)

    def _parent(self, row: StandupDay) -> str:
        if row.thread_ts is None:
            row.thread_ts = self.ctx.client.chat_postMessage(channel=row.channel_id, text=messages.parent(row.day))[
                "ts"
            ]
        return row.thread_ts

    # ----- the modal --------------------------------------------------------------------------------

    def open_modal(self, user_id: str, day: date, trigger_id: str) -> None:
        with self.ctx.db.reading() as session:
            current = session.get(StandupEntry, (user_id, day))
            view = messages.modal(day, self.questions, current)
        self.ctx.client.views_open(trigger_id=trigger_id, view=view)

    def on_write(self, ack: Ack, body: dict[str, Any]) -> None:
        ack()
        day = date.fromisoformat(body["actions"][0]["value"])
        self.open_modal(body["user"]["id"], day, body["trigger_id"])

    def on_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        answers = [(values.get(f"q{i}", {}).get("answer", {}).get("value") or "") for i in range(len(self.questions))]
        if not any(a.strip() for a in answers):
            ack(response_action="errors", errors={"q0": "Please answer at least one question."})
            return
        ack()
        marker = values.get(messages.BLOCKED_BLOCK, {}).get("marker", {}).get("selected_options") or []
        day = date.fromisoformat(json.loads(view["private_metadata"])["day"])
        self.post_answers(body["user"]["id"], day, answers, blocked=bool(marker))

    def post_answers(self, user_id: str, day: date, answers: list[str], blocked: bool) -> None:
        """Post the answers in the day's thread; a second submission edits the same reply."""
        text = messages.posted_answers(user_id, self.questions, answers, blocked)
        with self.ctx.db.transaction() as session:
            entry = service.record_answers(session, user_id, day, answers, blocked, self.ctx.clock.now())
            self.ctx.signals.home_changed.send(session, HomeChanged((user_id,)))
            if entry.reply_ts is not None:
                self.ctx.client.chat_update(channel=self.channel_id, ts=entry.reply_ts, text=text)
                return
            thread_ts = self._parent(service.day_row(session, day, self.channel_id))
            entry.reply_ts = self.ctx.client.chat_postMessage(channel=self.channel_id, thread_ts=thread_ts, text=text)[
                "ts"
            ]

    # ----- commands -----------------------------------------------------------------------------------

    def write(self, call: CommandCall) -> str | None:
        if call.text:
            raise UsageError(f"I don't know `{call.text.split()[0]}`.")
        self.open_modal(call.user_id, self.today(call.user_id), call.trigger_id)
        return None

    def skip(self, call: CommandCall) -> str:
        day = self.today(call.user_id)
        with self.ctx.db.transaction() as session:
            entry = service.entry(session, call.user_id, day, lock=True)
            if entry.answered_at is not None:
                return f"You already answered for {messages.day_title(day)}; nothing to skip."
            entry.skipped_at = self.ctx.clock.now()
            self.ctx.signals.home_changed.send(session, HomeChanged((call.user_id,)))
        return f"Skipped: no standup for you on {messages.day_title(day)}. You show as away in the summary."

    def away(self, call: CommandCall) -> str:
        words = call.text.split()
        today = self.today(call.user_id)
        if words == ["clear"]:
            with self.ctx.db.transaction() as session:
                cleared = service.clear_away(session, call.user_id, today)
            return f"Cleared {cleared} away period(s). Standups resume on your next working day."
        if len(words) != 2:
            raise UsageError("Give the first and last day you are away: `/standup away 2026-12-21 2027-01-04`.")
        first, last = (_parse_date(w) for w in words)
        if last < first:
            raise UsageError(f"The last day ({last}) is before the first ({first}).")
        if last < today:
            raise UsageError(f"That period ended before today ({today}).")
        with self.ctx.db.transaction() as session:
            service.set_away(session, call.user_id, first, last)
        return f"Away from {messages.day_title(first)} to {messages.day_title(last)} (inclusive): no prompts then."

    def stats(self, call: CommandCall) -> str:
        count = weeks(call.text)
        now = self.ctx.clock.now()
        with self.ctx.db.reading() as session:
            zones = self.zones(session)
            since = min((schedule.local_day(now, z) for z in zones.values()), default=now.date()) - timedelta(
                weeks=count
            )
            entries = service.history(session, zones, since)
            away = service.away_ranges(session, zones)
        rows = [self._participation(user_id, zone, entries, away, count, now) for user_id, zone in zones.items()]
        return messages.stats(count, rows)

    def _participation(
        self,
        user_id: str,
        zone: ZoneInfo,
        entries: list[StandupEntry],
        away: dict[str, schedule.AwayRanges],
        span_weeks: int,
        now: datetime,
    ) -> schedule.Participation:
        mine = [e for e in entries if e.user_id == user_id]
        today = schedule.local_day(now, zone)
        first = max(today - timedelta(days=7 * span_weeks - 1), min((e.day for e in mine), default=today))
        days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
        return schedule.participation(
            user_id,
            days,
            answered={e.day for e in mine if e.answered_at},
            skipped={e.day for e in mine if e.skipped_at},
            away=away.get(user_id, ()),
            settings=self.settings,
            today=today,
        )


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"`{text}` is not a date: use YYYY-MM-DD, like 2026-12-21.") from None


def register(app: App, ctx: BotContext) -> None:
    standups = Standups(ctx)
    app.action(messages.WRITE_ACTION)(standups.on_write)
    app.view(messages.MODAL_CALLBACK)(standups.on_submit)
    router = ctx.commands.router("/standup")
    router.add("", standups.write, "write (or edit) today's standup")
    router.add("skip", standups.skip, "no standup for you today")
    router.add("away", standups.away, "no prompts on those days (inclusive); `clear` ends them", "FROM TO | clear")
    router.add("stats", standups.stats, "participation and streaks per person", "[weeks]")
    ctx.scheduler.add("people.refresh_profiles", standups.directory.refresh)
    ctx.scheduler.add("standups.prompts", standups.send_prompts)
    ctx.scheduler.add("standups.reminders", standups.send_reminders)
    ctx.scheduler.add("standups.summaries", standups.post_summaries)


def demo_scene(tour: Tour) -> None:
    from slackbot.testing.harness import TEAM

    james = TEAM[0].id
    tour.scene("Daily standup in #s_fulfillment_daily")
    tour.narrate("prompts go out at 09:30 in each person's own timezone (James: Madrid, Vitaly: Berlin)")
    tour.wait(timedelta(hours=1, minutes=30))
    tour.driver.click(james, "Write standup")
    answers = {"q0": "Reviewed the billing MR", "q1": "Pairing on the license sync", "q2": "Waiting for Zuora access"}
    tour.driver.submit(james, tour.driver.open_views(james)[-1]["id"], answers)
    tour.narrate("James edits his answer: the same reply is updated")
    tour.driver.command(james, "/standup", channel="s_fulfillment_daily")
    tour.driver.submit(james, tour.driver.open_views(james)[-1]["id"], {**answers, "blocked": ["blocked"]})
    tour.wait(timedelta(hours=2))
    tour.wait(timedelta(hours=2))
