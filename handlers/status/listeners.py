"""GitLab's Pipeline Hook from the inbox, heartbeats' check-ins, and ``/fulfillment status``."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta
from functools import partial

from handlers.status import api, charts, heartbeats, history, messages, pipelines, service
from handlers.status.config import StatusSection
from slackbot.charts import answer_with_chart
from slackbot.commands import CommandCall
from slackbot.context import BotContext
from slackbot.edge import Answer, bearer_ok
from slackbot.inbox import InboxEvent, Rejected
from slackbot.webhooks import WebhookRejected
from slackbot.work import Work

log = logging.getLogger(__name__)

HEARTBEATS = "heartbeat"  # the inbox's source for check-ins


def on_pipeline(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    try:
        event = pipelines.from_webhook(item.payload)
    except WebhookRejected as exc:
        raise Rejected(str(exc)) from None
    if event.status in pipelines.FINISHED:
        addition_for = ctx.providers.get(api.PIPELINE_FAILED)
        service.handle_pipeline(work, event, ctx.config.gitlab, ctx.channel("status"), addition_for)
        heartbeats.pipeline_passed(work, event, ctx.config, ctx.channel("status"))


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


def heartbeat_hook(ctx: BotContext, name: str, headers: dict[str, str], body: bytes) -> Answer:
    """``POST /heartbeat/<name>``: a check-in, with the bearer token alerts use; stored before the 200."""
    token = ctx.settings.alerts_token
    if not token:
        return Answer.json(404, {"message": "heartbeats are not configured"})
    if not bearer_ok(headers, token):
        log.warning("a check-in of heartbeat %s with a missing or wrong bearer token was refused", name)
        return Answer.json(401, {"message": "invalid bearer token"})
    minute = int(ctx.clock.now().timestamp()) // 60  # a retried request within the minute counts once
    try:
        stored = ctx.inbox.store(HEARTBEATS, name, f"heartbeat:{name}:{minute}", {"name": name})
    except Exception:
        log.error("could not store a check-in of heartbeat %s; answering 503 so that it is sent again", name)
        return Answer.json(503, {"message": "try again"})
    return Answer.json(200, {"message": "checked in" if stored is not None else "already checked in"})


def on_check_in(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    beat = ctx.config.section(StatusSection).heartbeat(item.kind)
    if beat is not None:
        heartbeats.check_in(work, beat, ctx.channel("status"))


def register(ctx: BotContext) -> None:
    for beat in ctx.config.section(StatusSection).heartbeats:
        ctx.pages.post(f"/heartbeat/{beat.name}", partial(heartbeat_hook, ctx, beat.name))
        ctx.inbox.router.on(HEARTBEATS, beat.name, partial(on_check_in, ctx))
    ctx.on_webhook("pipeline", pipelines.from_webhook, partial(on_pipeline, ctx))
    router = ctx.commands.router("/fulfillment")
    router.add("status", partial(describe, ctx), "health probes: state, latency, certificates")
