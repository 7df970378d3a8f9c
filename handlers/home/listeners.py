"""``app_home_opened``: the person's Home is published for them, and remembered for later changes."""

from __future__ import annotations

from handlers.home import service
from slackbot.context import BotContext
from slackbot.inbox import InboxEvent
from slackbot.interactions import text_at
from slackbot.work import Work


def on_home_opened(work: Work, item: InboxEvent) -> None:
    user = text_at(item.payload, "event", "user")
    if user and (text_at(item.payload, "event", "tab") or "home") == "home":
        service.opened(work, user)


def register(ctx: BotContext) -> None:
    ctx.on_event("app_home_opened", on_home_opened)
