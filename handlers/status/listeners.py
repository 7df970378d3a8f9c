"""GitLab's Pipeline Hook from the inbox, and ``/fulfillment status``."""

from __future__ import annotations

from handlers.status import messages, pipelines, service
from handlers.status.config import StatusSection
from slackbot.commands import CommandCall
from slackbot.context import BotContext
from slackbot.inbox import InboxEvent, Rejected
from slackbot.webhooks import WebhookRejected
from slackbot.work import Work


def register(ctx: BotContext) -> None:
    probes = ctx.config.section(StatusSection).probes

    def on_pipeline(work: Work, item: InboxEvent) -> None:
        try:
            event = pipelines.from_webhook(item.payload)
        except WebhookRejected as exc:
            raise Rejected(str(exc)) from None
        if event.status in pipelines.FINISHED:
            service.handle_pipeline(work, event, ctx.config.gitlab, ctx.channel("status"), ctx.signals.send)

    def describe(_call: CommandCall) -> str:
        now = ctx.clock.now()
        with ctx.db.reading() as session:
            states = service.states(session)
            return messages.status([messages.probe_line(p, states.get(p.name), now) for p in probes])

    ctx.on_webhook("pipeline", pipelines.from_webhook, on_pipeline)
    ctx.commands.router("/fulfillment").add("status", describe, "health probes: state, latency, certificates")
