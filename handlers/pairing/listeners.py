"""``/pair`` from Slack: the command and its form, the `I'll pair` button, list, cancel, stats."""

from __future__ import annotations

from functools import partial

from handlers.pairing import messages, service
from slackbot.commands import CommandCall
from slackbot.context import BotContext
from slackbot.home import HomeChanged
from slackbot.interactions import Click, Submission, text_at
from slackbot.mrkdwn import escape, normalise
from slackbot.work import Work


def ask(ctx: BotContext, call: CommandCall) -> str | None:
    topic = call.text.strip()
    if not topic:
        return ctx.interactions.open_view(call.trigger_id, messages.modal())
    channel = ctx.channel("engineering")
    with ctx.work() as work:
        service.create(work, channel, call.user_id, normalise(topic))
        ctx.signals.send(work, HomeChanged((call.user_id,)))
    return f"Posted in <#{channel}>. `/pair cancel` withdraws it."


def on_submit(ctx: BotContext, work: Work, submission: Submission) -> dict[str, str] | None:
    values = submission.values
    topic = text_at(values, "topic", "value", "value").strip()
    if not topic:
        return {"topic": "Say what you would like to pair on."}
    service.create(  # a modal's text is raw: escaped before it is stored for display
        work,
        ctx.channel("engineering"),
        submission.user_id,
        escape(topic),
        area=escape(text_at(values, "area", "value", "value").strip()),
        duration=escape(text_at(values, "duration", "value", "selected_option", "value")),
        when=escape(text_at(values, "when", "value", "value").strip()),
    )
    ctx.signals.send(work, HomeChanged((submission.user_id,)))
    return None


def on_claim(ctx: BotContext, work: Work, click: Click) -> str | None:
    request = service.lock(work.session, int(click.value)) if click.value.isdigit() else None
    if request is None:
        return "That request no longer exists."
    answer = service.claim(work, request, click.user_id)
    if answer is None:
        ctx.signals.send(work, HomeChanged((request.requester,)))
    return answer


def cancel(ctx: BotContext, call: CommandCall) -> str:
    with ctx.work() as work:
        mine = service.cancel_mine(work, call.user_id)
        if mine:
            ctx.signals.send(work, HomeChanged((call.user_id,)))
    return f"Cancelled {len(mine)} open request(s)." if mine else "You have no open pair request."


def list_open(ctx: BotContext, _call: CommandCall) -> str:
    with ctx.db.reading() as session:
        found = service.open_requests(session)
        links = {r.id: ctx.link(session, r.ref) for r in found}
    return messages.open_list(found, links, ctx.clock.now())


def stats(ctx: BotContext, _call: CommandCall) -> str:
    with ctx.db.reading() as session:
        return service.stats(session)


def register(ctx: BotContext) -> None:
    ctx.interactions.on_click(messages.CLAIM, partial(on_claim, ctx))
    ctx.interactions.on_submit(messages.CALLBACK, partial(on_submit, ctx))
    router = ctx.commands.router("/pair")
    router.add("", partial(ask, ctx), "ask for a pair in the engineering channel (no topic: a form)", "[TOPIC]")
    router.add("list", partial(list_open, ctx), "open pair requests")
    router.add("cancel", partial(cancel, ctx), "withdraw your open request")
    router.add("stats", partial(stats, ctx), "requests, claims, median time to claim, who paired most")
