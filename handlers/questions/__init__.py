"""Question tracking in the questions channel: every question is followed until it gets a ✅.

Slack events become calls to ``service`` in one transaction with their event ID; scheduled jobs
look in the database for the nudges and reminders that are due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_bolt import App
from sqlalchemy.orm import Session

from handlers.questions import messages, service
from handlers.questions.models import Question
from handlers.questions.service import Posted, Reaction
from slackbot import idempotency
from slackbot.app import BotContext
from slackbot.commands import CommandCall, weeks, whole_number
from slackbot.signals import HomeChanged
from slackbot.slack_lookup import permalink, usergroup_mention

if TYPE_CHECKING:
    from slackbot.demo import Tour

log = logging.getLogger(__name__)

PER_PAGE = 20
DIGEST_TIME = time(9, 0)
DIGEST_OLDEST = 5
HUMAN_SUBTYPES = (None, "file_share", "thread_broadcast")


def slack_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


class Questions:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.settings = ctx.config.questions
        self.channel_id = ctx.channel("questions")
        self.zone = ZoneInfo(ctx.config.timezone)

    # ----- events -------------------------------------------------------------------------------

    def in_channel(self, event: dict[str, Any]) -> bool:
        return event.get("channel") == self.channel_id

    def about_channel(self, event: dict[str, Any]) -> bool:
        return event.get("item", {}).get("type") == "message" and event["item"].get("channel") == self.channel_id

    def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        subtype = event.get("subtype")
        if subtype == "message_deleted":
            self._once(body, lambda s: service.forget(s, self.channel_id, event["deleted_ts"]))
        elif subtype == "message_changed":
            changed = event.get("message", {})
            self._once(body, lambda s: service.edit(s, self.channel_id, changed["ts"], changed.get("text", "")))
        elif subtype in HUMAN_SUBTYPES and event.get("user") and not event.get("bot_id"):
            posted = Posted(
                channel_id=self.channel_id,
                ts=event["ts"],
                user_id=event["user"],
                text=event.get("text", ""),
                thread_ts=event.get("thread_ts"),
                at=slack_time(event["ts"]),
            )
            self._once(body, lambda s: service.record_reply(s, posted) if posted.is_reply else self.start(s, posted))

    def start(self, session: Session, posted: Posted) -> None:
        link = permalink(self.ctx.client, posted.channel_id, posted.ts)
        question = service.track(session, posted, link, self.settings)
        if question is None:
            return
        self.ctx.signals.home_changed.send(session, HomeChanged((question.asker_id,)))
        if not question.is_open:
            return
        replies = service.matching_autoreplies(posted.text, self.settings.autoreplies)
        if replies:
            self.ctx.client.chat_postMessage(channel=posted.channel_id, thread_ts=posted.ts, text="\n\n".join(replies))

    def on_reaction(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        reaction = Reaction(
            channel_id=self.channel_id,
            message_ts=event["item"]["ts"],
            user_id=event["user"],
            emoji=event["reaction"],
            at=slack_time(event.get("event_ts") or body.get("event_time") or "0"),
            added=event["type"] == "reaction_added",
        )

        def react(session: Session) -> None:
            question = service.react(session, reaction, self.settings)
            if question is not None:
                self.ctx.signals.home_changed.send(session, HomeChanged((question.asker_id,)))

        self._once(body, react)

    def _once(self, body: dict[str, Any], effect: Callable[[Session], object]) -> None:
        self.ctx.once(idempotency.event_key(body["event_id"]), effect)

    # ----- scheduled ------------------------------------------------------------------------------

    def send_nudges(self, now: datetime) -> None:
        after = self.settings.nudge_unreplied_after
        with self.ctx.db.reading() as session:
            due = service.due_for_nudge(session, now, after)
        mention = (
            usergroup_mention(self.ctx.client, self.settings.triage_usergroup)
            if due and self.settings.triage_usergroup
            else ""
        )

        def nudge(question: Question) -> None:
            text = messages.nudge(mention, now - question.created_at)
            self.ctx.client.chat_postMessage(channel=question.channel_id, thread_ts=question.ts, text=text)
            question.nudged_at = now

        self._each(due, lambda q: service.needs_nudge(q, now, after), nudge)

    def remind_askers(self, now: datetime) -> None:
        after = self.settings.remind_asker_after
        with self.ctx.db.reading() as session:
            due = service.due_for_asker_reminder(session, now, after)

        def remind(question: Question) -> None:
            self.ctx.client.chat_postMessage(channel=question.asker_id, text=messages.asker_reminder(question))
            question.asker_reminded_at = now

        self._each(due, lambda q: service.needs_asker_reminder(q, now, after), remind)

    def _each(self, ids: list[int], still_due: Callable[[Question], bool], act: Callable[[Question], None]) -> None:
        """Act on each question under its row lock if it is still due (a ✅ may have come meanwhile)."""

        def step(session: Session, question_id: int) -> None:
            question = service.lock(session, question_id)
            if question is not None and still_due(question):
                act(question)

        self.ctx.each(ids, step, "question reminder")

    def post_digest(self, now: datetime) -> None:
        """On Mondays from 09:00 (team time), once; a Monday the bot missed entirely is let go, and a
        week with nothing asked and nothing open posts nothing."""
        monday = service.week_start(now, self.zone)
        if now.astimezone(self.zone).date() != monday or now < datetime.combine(monday, DIGEST_TIME, self.zone):
            return

        def post(session: Session) -> None:
            last_week = service.weekly_stats(session, now, 2, self.zone)[1]
            oldest, total = service.open_questions(session, DIGEST_OLDEST)
            if last_week.asked or total:
                text = messages.digest(last_week, oldest, total, now)
                self.ctx.client.chat_postMessage(channel=self.ctx.channel("announcements"), text=text)

        self.ctx.once(f"questions-digest:{monday.isoformat()}", post, source="schedule")

    # ----- commands -------------------------------------------------------------------------------

    def list_open(self, call: CommandCall) -> str:
        page = whole_number(call.text, "page", 1, 10_000)
        with self.ctx.db.reading() as session:
            found, total = service.open_questions(session, PER_PAGE, (page - 1) * PER_PAGE)
            return messages.open_list(found, total, page, PER_PAGE, self.ctx.clock.now())

    def stats(self, call: CommandCall) -> str:
        count = weeks(call.text)
        with self.ctx.db.reading() as session:
            return messages.stats(service.weekly_stats(session, self.ctx.clock.now(), count, self.zone))


def register(app: App, ctx: BotContext) -> None:
    questions = Questions(ctx)
    app.event("message", matchers=[questions.in_channel])(questions.on_message)
    for kind in ("reaction_added", "reaction_removed"):
        app.event(kind, matchers=[questions.about_channel])(questions.on_reaction)
    router = ctx.commands.router("/fulfillment")
    router.add("questions", questions.list_open, "open questions, oldest first", arguments="[page]")
    router.add(
        "stats",
        questions.stats,
        "questions asked per week: answered, open, time to reply and to ✅",
        arguments="[weeks]",
    )
    ctx.scheduler.add("questions.nudges", questions.send_nudges)
    ctx.scheduler.add("questions.asker_reminders", questions.remind_askers)
    ctx.scheduler.add("questions.weekly_digest", questions.post_digest)


def demo_scene(tour: Tour) -> None:
    from slackbot.testing.harness import ASKER, TEAM

    tour.scene("A question in #s_fulfillment, tracked until it gets a ✅")
    asked = tour.driver.say(ASKER.id, "s_fulfillment", "How do I extend the trial of a customer's subscription?")
    tour.driver.say(TEAM[2].id, "s_fulfillment", "Is anyone looking at the failing CustomersDot e2e job?")
    tour.wait(timedelta(hours=2, minutes=1))
    tour.driver.say(
        TEAM[1].id,
        "s_fulfillment",
        "The internal request form linked above is the way; support handles it.",
        thread_ts=asked["ts"],
    )
    tour.driver.command(TEAM[0].id, "/fulfillment", "questions", channel="s_fulfillment")
    tour.wait(timedelta(hours=24, minutes=1))
    tour.driver.react(ASKER.id, "s_fulfillment", asked["ts"], "white_check_mark")
    tour.driver.command(TEAM[0].id, "/fulfillment", "stats 1", channel="s_fulfillment")
