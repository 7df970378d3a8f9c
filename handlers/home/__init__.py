"""The App Home tab: what concerns the person now, gathered from every capability's tables."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import async_updates
from handlers.home.models import HomeVisit
from handlers.incidents.models import Incident
from handlers.pairing.models import PairRequest
from handlers.questions.models import Question
from handlers.standups import messages as standup_messages
from handlers.standups import schedule
from handlers.standups.models import StandupEntry
from slackbot.app import BotContext
from slackbot.durations import format_duration
from slackbot.people import Directory
from slackbot.signals import HomeChanged

if TYPE_CHECKING:
    from slackbot.demo import Tour

log = logging.getLogger(__name__)

MAX_BLOCKS = 100
PER_SECTION = 10


def section(title: str, lines: list[str], empty: str) -> list[dict[str, Any]]:
    """A header and one block of lines, capped with "and N more"."""
    shown = lines[:PER_SECTION]
    if len(lines) > PER_SECTION:
        shown.append(f"_and {len(lines) - PER_SECTION} more_")
    text = "\n".join(shown) if shown else f"_{empty}_"
    return [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
    ]


def cap(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Slack refuses more than 100 blocks in a view."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    dropped = len(blocks) - MAX_BLOCKS + 1
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {dropped} more blocks not shown"}]}
    return [*blocks[: MAX_BLOCKS - 1], note]


class Home:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.directory = Directory(ctx.config, ctx.db, ctx.client)
        self.standup_members = {p.slack for p in ctx.config.people if p.standup}

    def view(self, session: Session, user_id: str, now: datetime) -> dict[str, Any]:
        blocks = [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*Hi <@{user_id}>!* Here is what concerns you now."},
            },
            *self.questions(session, user_id, now),
            *self.standup(session, user_id, now),
            *self.incidents(session, now),
            *self.pairs(session, user_id, now),
            *section(
                "Issues awaiting your async update",
                [f"• <{i['url']}|{i['reference']} {i['title']}>" for i in async_updates.latest(session, user_id)],
                "Nothing waiting: your assigned issues all have a recent update.",
            ),
        ]
        return {"type": "home", "blocks": cap(blocks)}

    def questions(self, session: Session, user_id: str, now: datetime) -> list[dict[str, Any]]:
        mine = session.scalars(
            select(Question)
            .where(Question.asker_id == user_id, Question.closed_at.is_(None))
            .order_by(Question.created_at)
        )
        lines = [f"• <{q.permalink}|{q.preview}> ({format_duration(now - q.created_at)} ago)" for q in mine]
        return section("Your open questions", lines, "None: everything you asked has a ✅.")

    def standup(self, session: Session, user_id: str, now: datetime) -> list[dict[str, Any]]:
        if user_id not in self.standup_members:
            return section("Today's standup", [], "You are not in the daily standup.")
        zone = self.directory.timezones(session, [user_id])[user_id]
        today = schedule.local_day(now, zone)
        entry = session.get(StandupEntry, (user_id, today))
        if entry is not None and entry.answered_at is not None:
            state = "Answered. You can still edit it."
        elif entry is not None and entry.skipped_at is not None:
            state = "Skipped today."
        elif not schedule.is_working_day(today, self.ctx.config.standups):
            state = "No standup today."
        else:
            state = "Not answered yet."
        blocks = section(f"Today's standup ({standup_messages.day_title(today)})", [state], "")
        return [*blocks, standup_messages.write_button(today)]

    def incidents(self, session: Session, now: datetime) -> list[dict[str, Any]]:
        found = session.scalars(select(Incident).where(Incident.state != "resolved").order_by(Incident.id))
        lines = [
            f"• #{i.id} {i.severity} *{i.state}*: {i.summary} ({format_duration(now - i.declared_at)} ago)"
            for i in found
        ]
        return section("Open incidents", lines, "No open incidents.")

    def pairs(self, session: Session, user_id: str, now: datetime) -> list[dict[str, Any]]:
        found = session.scalars(
            select(PairRequest).where(PairRequest.requester == user_id, PairRequest.state == "open")
        )
        lines = [f"• {r.topic} (asked {format_duration(now - r.created_at)} ago)" for r in found]
        return section("Your pair requests", lines, "No open pair requests.")

    def opened(self, user_id: str) -> None:
        with self.ctx.db.transaction() as session:
            session.merge(HomeVisit(user_id=user_id, opened_at=self.ctx.clock.now()))
            self.publish(session, user_id)

    def publish(self, session: Session, user_id: str) -> None:
        self.ctx.client.views_publish(user_id=user_id, view=self.view(session, user_id, self.ctx.clock.now()))

    def on_change(self, session: Session, change: HomeChanged) -> None:
        """Republish, in the changing transaction, for those who have opened their Home before; a
        failure is logged, never allowed to undo the change itself."""
        visitors = select(HomeVisit.user_id)
        if not change.everyone:
            visitors = visitors.where(HomeVisit.user_id.in_(change.user_ids))
        for user_id in session.scalars(visitors):
            try:
                self.publish(session, user_id)
            except SlackApiError as exc:
                log.warning("could not republish %s's App Home: %s", user_id, exc.response.get("error"))


def register(app: App, ctx: BotContext) -> None:
    home = Home(ctx)
    ctx.signals.home_changed.connect(home.on_change)

    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            home.opened(event["user"])


def demo_scene(tour: Tour) -> None:
    from slackbot.testing.harness import TEAM

    tour.scene("James opens the bot's App Home")
    tour.driver.open_home(TEAM[0].id)
    view = tour.sim.home_views[TEAM[0].id]
    for block in view["blocks"]:
        text = block.get("text", {}).get("text", "")
        if text:
            tour.narrate(text.replace("\n", " | "))
