"""What Slack tells about the questions channel, read into plain values and handed to the service,
and the ``/fulfillment questions`` and ``stats`` commands."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from handlers.questions import charts, messages, service
from handlers.questions.config import QuestionsSection
from handlers.questions.service import Posted, Reaction
from slackbot.charts import answer_with_chart
from slackbot.commands import CommandCall, weeks, whole_number
from slackbot.context import BotContext
from slackbot.home import HomeChanged
from slackbot.inbox import InboxEvent
from slackbot.interactions import text_at
from slackbot.work import Work

PER_PAGE = 20
HUMAN_SUBTYPES = ("", "file_share", "thread_broadcast")


def slack_time(ts: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError):
        return datetime.fromtimestamp(0, UTC)


def in_channel(ctx: BotContext, event: dict[str, Any]) -> bool:
    return text_at(event, "event", "channel") == ctx.channel("questions")


def about_channel(ctx: BotContext, event: dict[str, Any]) -> bool:
    return text_at(event, "event", "item", "type") == "message" and text_at(
        event, "event", "item", "channel"
    ) == ctx.channel("questions")


def on_message(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    event = item.payload.get("event") or {}
    subtype = text_at(event, "subtype")
    if subtype == "message_deleted":
        service.forget(work.session, ctx.channel("questions"), text_at(event, "deleted_ts"))
    elif subtype == "message_changed" and text_at(event, "message", "subtype") == "tombstone":
        service.forget(work.session, ctx.channel("questions"), text_at(event, "message", "ts"))
    elif subtype == "message_changed":
        changed = text_at(event, "message", "ts")
        if changed:
            service.edit(work.session, ctx.channel("questions"), changed, text_at(event, "message", "text"))
    elif subtype in HUMAN_SUBTYPES and text_at(event, "user") and not event.get("bot_id") and text_at(event, "ts"):
        posted = Posted(
            channel_id=ctx.channel("questions"),
            ts=text_at(event, "ts"),
            user_id=text_at(event, "user"),
            text=text_at(event, "text"),
            thread_ts=text_at(event, "thread_ts") or None,
            at=slack_time(text_at(event, "ts")),
        )
        if posted.is_reply:
            service.record_reply(work.session, posted)
            return
        link = ctx.permalink(posted.channel_id, posted.ts)
        question = service.start(work, posted, link, ctx.config.section(QuestionsSection))
        if question is not None:
            ctx.signals.send(work, HomeChanged((question.asker_id,)))


def on_reaction(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    event = item.payload.get("event") or {}
    message_ts, user, emoji = text_at(event, "item", "ts"), text_at(event, "user"), text_at(event, "reaction")
    if not (message_ts and user and emoji):
        return
    reaction = Reaction(
        channel_id=ctx.channel("questions"),
        message_ts=message_ts,
        user_id=user,
        emoji=emoji,
        at=slack_time(text_at(event, "event_ts") or str(item.payload.get("event_time") or "0")),
        added=text_at(event, "type") == "reaction_added",
    )
    asker = service.react(work.session, reaction, ctx.config.section(QuestionsSection))
    if asker is not None:
        ctx.signals.send(work, HomeChanged((asker,)))


def list_open(ctx: BotContext, call: CommandCall) -> str:
    page = whole_number(call.text, "page", 1, 10_000)
    with ctx.db.reading() as session:
        found, total = service.open_questions(session, PER_PAGE, (page - 1) * PER_PAGE)
        return messages.open_list(found, total, page, PER_PAGE, ctx.clock.now())


def stats(ctx: BotContext, call: CommandCall) -> str:
    """The figures as text, privately; the chart follows in the asker's DM (an ephemeral answer
    cannot carry a file)."""
    count = weeks(call.text)
    with ctx.db.reading() as session:
        found = service.weekly_stats(session, ctx.clock.now(), count, ctx.zone)
    text = messages.stats(found)
    with ctx.work() as work:
        return answer_with_chart(
            work.out, call.user_id, charts.NAME, charts.data(found), "Questions per week", charts.alt(found), text
        )


def register(ctx: BotContext) -> None:
    ctx.on_event("message", partial(on_message, ctx), partial(in_channel, ctx))
    for kind in ("reaction_added", "reaction_removed"):
        ctx.on_event(kind, partial(on_reaction, ctx), partial(about_channel, ctx))
    router = ctx.commands.router("/fulfillment")
    router.add("questions", partial(list_open, ctx), "open questions, oldest first", arguments="[page]")
    router.add(
        "stats",
        partial(stats, ctx),
        "questions asked per week: answered, open, time to reply and to ✅",
        arguments="[weeks]",
    )
