"""GitLab's Pipeline Hook from the inbox, and ``/fulfillment status``."""

from __future__ import annotations

from datetime import UTC, timedelta
from functools import partial

from handlers.status import api, charts, history, messages, pipelines, service
from handlers.status.config import StatusSection
from slackbot.charts import answer_with_chart
from slackbot.commands import CommandCall
from slackbot.context import BotContext
from slackbot.inbox import InboxEvent, Rejected
from slackbot.webhooks import WebhookRejected
from slackbot.work import Work


def on_pipeline(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    try:
        event = pipelines.from_webhook(item.payload)
    except WebhookRejected as exc:
        raise Rejected(str(exc)) from None
    if event.status in pipelines.FINISHED:
        addition_for = ctx.providers.get(api.PIPELINE_FAILED)
        service.handle_pipeline(work, event, ctx.config.gitlab, ctx.channel("status"), addition_for)


def describe(ctx: BotContext, call: CommandCall) -> str:
    """The probes' states privately; the chart follows in the asker's DM."""
    probes = ctx.config.section(StatusSection).probes
    now = ctx.clock.now()
    with ctx.db.reading() as session:
        states = service.states(session)
        text = messages.status([messages.probe_line(p, states.get(p.name), now) for p in probes])
    if not probes:
        return text
    since = now - timedelta(days=charts.DAYS)
    incident_days = ctx.providers.get(api.INCIDENT_DAYS)
    with ctx.work() as work:
        chart = charts.data(
            [p.name for p in probes],
            history.per_day(work.session, since.astimezone(UTC).date()),
            history.per_hour(work.session, now),
            service.outage_days(work.session, since, now),
            incident_days(work.session, since) if incident_days is not None else set(),
            now,
        )
        return answer_with_chart(work.out, call.user_id, charts.NAME, chart, "Service status", charts.alt(chart), text)


def register(ctx: BotContext) -> None:
    ctx.on_webhook("pipeline", pipelines.from_webhook, partial(on_pipeline, ctx))
    router = ctx.commands.router("/fulfillment")
    router.add("status", partial(describe, ctx), "health probes: state, latency, certificates")
