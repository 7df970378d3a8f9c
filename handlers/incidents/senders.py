"""Delivering a DM page: rendered when it is sent, with the link to the incident's message once
that is posted, and never for an incident that is no longer open."""

from __future__ import annotations

from typing import Any

from handlers.incidents import messages, service
from handlers.incidents.models import Incident
from handlers.incidents.policy import levels
from slackbot.context import BotContext
from slackbot.outbox import Delivery, DeliveryError, Sender
from slackbot.ratelimit import POST_MESSAGE, Call
from slackbot.slack_effects import post_once


def register(ctx: BotContext) -> None:
    def user_of(delivery: Delivery) -> str:
        return delivery.lane.removeprefix("slack:")

    def send(delivery: Delivery) -> dict[str, Any]:
        with ctx.db.reading() as session:
            incident = session.get(Incident, delivery.args["incident"])
            if incident is None or incident.state != "open":
                raise DeliveryError("the incident is no longer open: page not sent", retryable=False)
            link = ctx.link(session, incident.ref)
            text, blocks = messages.page(incident, delivery.args["level"], len(levels(incident.policy)), link)
        return post_once(ctx.outbox_client, delivery, {"channel": user_of(delivery), "text": text, "blocks": blocks})

    ctx.outbox.register(service.PAGE, Sender(send=send, calls=lambda d: [Call(POST_MESSAGE, user_of(d), urgent=True)]))
