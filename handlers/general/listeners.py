"""A mention of the bot is answered, in its thread, with what the bot can do."""

from __future__ import annotations

from handlers.general import messages
from slackbot.context import BotContext
from slackbot.inbox import InboxEvent
from slackbot.interactions import text_at
from slackbot.work import Work


def register(ctx: BotContext) -> None:
    def answer_mention(work: Work, item: InboxEvent) -> None:
        channel = text_at(item.payload, "event", "channel")
        thread = text_at(item.payload, "event", "thread_ts") or text_at(item.payload, "event", "ts")
        if channel and thread:
            work.slack.post(channel, messages.introduction(list(ctx.commands.routers)), thread_ts=thread)

    ctx.on_event("app_mention", answer_mention)
