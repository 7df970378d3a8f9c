"""Publishing a Home: rendered from the current state when it is sent (``views.publish``, Tier 4)."""

from __future__ import annotations

from functools import partial
from typing import Any

from handlers.home import messages, service
from slackbot.context import BotContext
from slackbot.effects import effect_of
from slackbot.outbox import Delivery, Sender
from slackbot.ratelimit import Call
from slackbot.slack_effects import slack_failure


def publish(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    user = effect_of(delivery, service.Publish).user
    with ctx.db.reading() as session:
        now = ctx.clock.now()
        view = messages.view([*messages.greeting(user), *ctx.home.blocks(session, user, now)])
    call = Call("views.publish", "", delivery.urgent)
    try:
        ctx.outbox_client.views_publish(user_id=user, view=view)
    except Exception as exc:
        raise slack_failure(exc, call) from None
    return {}


def queue_stale_homes(ctx: BotContext) -> None:
    with ctx.db.reading() as session:
        found = service.stale(session)
    if found:
        with ctx.work() as work:
            service.queue_stale(work, found)


def register(ctx: BotContext) -> None:
    sender = Sender(send=partial(publish, ctx), calls=lambda d: [Call("views.publish", "", d.urgent)])
    ctx.outbox.register(service.Publish.KIND, sender)
    ctx.outbox.add_feeder(partial(queue_stale_homes, ctx))
