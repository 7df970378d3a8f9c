"""A mention of the bot is answered, in its thread, with what the bot can do."""

from __future__ import annotations

from functools import partial
from typing import Any

from handlers.general import messages
from slackbot.context import BotContext
from slackbot.inbox import InboxEvent
from slackbot.interactions import text_at
from slackbot.work import Work


def answer_mention(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    channel = text_at(item.payload, "event", "channel")
    thread = text_at(item.payload, "event", "thread_ts") or text_at(item.payload, "event", "ts")
    if channel and thread:
        work.slack.post(channel, messages.introduction(list(ctx.commands.routers)), thread_ts=thread)


def answer_dm(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    event = item.payload.get("event") or {}
    if text_at(event, "subtype") or event.get("bot_id") or text_at(event, "user") in ("", ctx.bot_user_id):
        return
    if text_at(event, "thread_ts"):
        return
    work.slack.post(text_at(event, "channel"), messages.dm_help(list(ctx.commands.routers)))


def in_a_dm(body: dict[str, Any]) -> bool:
    return text_at(body, "event", "channel_type") == "im"


def register(ctx: BotContext) -> None:
    ctx.on_event("app_mention", partial(answer_mention, ctx))
    ctx.on_event("message", partial(answer_dm, ctx), in_a_dm)
