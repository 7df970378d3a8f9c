"""The questions channel's listeners called as module-level functions on a running bot's context:
which messages become questions and which reactions close them, without a request through HTTP."""

from typing import Any

from handlers.questions import listeners, service
from slackbot.context import BotContext
from slackbot.inbox import InboxEvent
from slackbot.testing.harness import TEAM, Harness

ASKER, HELPER = TEAM[0].id, TEAM[1].id


def message(ctx: BotContext, ts: str, **fields: Any) -> InboxEvent:
    event = {"type": "message", "channel": ctx.channel("questions"), "user": ASKER, "ts": ts, "text": "hi", **fields}
    return InboxEvent("slack", "message", {"event": event}, f"message:{ts}")


def reaction(ctx: BotContext, ts: str, user: str) -> InboxEvent:
    item = {"type": "message", "channel": ctx.channel("questions"), "ts": ts}
    event = {"type": "reaction_added", "user": user, "reaction": "white_check_mark", "item": item, "event_ts": ts}
    return InboxEvent("slack", "reaction_added", {"event": event}, f"reaction:{ts}")


def open_count(ctx: BotContext) -> int:
    with ctx.db.reading() as session:
        return service.open_questions(session, 10)[1]


def test_only_top_level_human_messages_in_the_channel_become_questions(harness: Harness) -> None:
    ctx = harness.bot.ctx
    assert listeners.in_channel(ctx, {"event": {"channel": ctx.channel("questions")}})
    assert not listeners.in_channel(ctx, {"event": {"channel": "C0ELSEWHERE"}})
    with ctx.work() as work:
        listeners.on_message(ctx, work, message(ctx, "1700000000.000100", text="How do I refund a seat?"))
        listeners.on_message(ctx, work, message(ctx, "1700000000.000200", bot_id="B0BOT"))
        listeners.on_message(ctx, work, message(ctx, "1700000000.000300", subtype="channel_join"))
        listeners.on_message(ctx, work, message(ctx, "1700000000.000400", thread_ts="1700000000.000100"))
    assert open_count(ctx) == 1


def test_a_check_mark_on_the_question_closes_it(harness: Harness) -> None:
    ctx = harness.bot.ctx
    with ctx.work() as work:
        listeners.on_message(ctx, work, message(ctx, "1700000000.000100"))
        listeners.on_reaction(ctx, work, reaction(ctx, "1700000000.000999", HELPER))  # not a question
    assert open_count(ctx) == 1
    with ctx.work() as work:
        listeners.on_reaction(ctx, work, reaction(ctx, "1700000000.000100", HELPER))
    assert open_count(ctx) == 0
