"""Status alerts in the status channel: health probes, TLS certificates and failed GitLab pipelines.

Probe state and outages live in the database: a restart carries on mid-outage, updating the same
alert message. Pipelines are recorded by (project, ID) whether the webhook or the poller saw them
first, so each is posted once.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.status import messages, pipelines, probes
from handlers.status.models import PipelineRecord, PipelineRef, ProbeOutage, ProbeState
from handlers.status.pipelines import PipelineEvent
from slackbot.app import BotContext
from slackbot.commands import CommandCall
from slackbot.config import Probe
from slackbot.periodic import claim_period
from slackbot.signals import ProbeAlerted
from slackbot.webhooks import WebhookDelivery

if TYPE_CHECKING:
    from slackbot.demo import Tour

log = logging.getLogger(__name__)

POLL_LOOKBACK = timedelta(days=1)
POLL_PER_REF = 5


class Probes:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.probes = {p.name: p for p in ctx.config.status.probes}

    def run_due(self, now: datetime) -> None:
        """Check every due probe, in parallel, then record each result in its own transaction."""
        with self.ctx.db.reading() as session:
            states = {s.name: s for s in session.scalars(select(ProbeState))}
        due = [p for p in self.probes.values() if p.name not in states or states[p.name].next_check_at <= now]
        if not due:
            return
        with ThreadPoolExecutor(max_workers=min(8, len(due)), thread_name_prefix="probe") as pool:
            results = list(pool.map(lambda p: probes.check(p, self.ctx.settings.ca_bundle or None), due))
        checked_at = self.ctx.clock.now()
        self.ctx.each(zip(due, results, strict=True), lambda s, pr: self.record(s, pr[0], pr[1], checked_at), "probe")

    def record(self, session: Session, probe: Probe, result: probes.CheckResult, now: datetime) -> None:
        state = session.scalar(select(ProbeState).where(ProbeState.name == probe.name).with_for_update())
        if state is None:
            state = ProbeState(name=probe.name, next_check_at=now, consecutive_failures=0, cert_warned_days=[])
            session.add(state)
        state.next_check_at = now + probe.interval
        state.last_checked_at, state.last_ok = now, result.ok
        state.last_latency_ms, state.last_error = result.latency_ms, result.error
        if result.cert_expires_at is not None:
            self._certificate(state, probe, result.cert_expires_at, now)
        if result.ok:
            self._recovered(session, state, now)
        else:
            self._failed(session, state, probe, result.error, now)

    def _failed(self, session: Session, state: ProbeState, probe: Probe, error: str, now: datetime) -> None:
        state.consecutive_failures = (state.consecutive_failures or 0) + 1
        state.failing_since = state.failing_since or now
        if state.outage_id is not None:
            outage = session.get(ProbeOutage, state.outage_id)
            assert outage is not None
            outage.failures, outage.last_error = state.consecutive_failures, error
            self._update_alert(outage)
        elif state.consecutive_failures >= probe.failures_before_alert:
            outage = ProbeOutage(
                probe=probe.name,
                url=probe.url,
                started_at=state.failing_since,
                alerted_at=now,
                failures=state.consecutive_failures,
                last_error=error,
                channel_id=self.ctx.channel("status"),
                alert_ts="",
            )
            outage.alert_ts = self.ctx.client.chat_postMessage(channel=outage.channel_id, text=messages.alert(outage))[
                "ts"
            ]
            session.add(outage)
            session.flush()
            state.outage_id = outage.id
            alerted = ProbeAlerted(
                outage.id, probe.name, probe.url, error, outage.started_at, outage.channel_id, outage.alert_ts
            )
            self.ctx.signals.probe_alerted.send(session, alerted)

    def _update_alert(self, outage: ProbeOutage) -> None:
        """Edit the outage's message; if someone deleted it, post it again rather than go quiet."""
        try:
            self.ctx.client.chat_update(channel=outage.channel_id, ts=outage.alert_ts, text=messages.alert(outage))
        except SlackApiError as exc:
            if exc.response.get("error") != "message_not_found":
                raise
            log.warning("the alert for %s was deleted in Slack; posting it again", outage.probe)
            posted = self.ctx.client.chat_postMessage(channel=outage.channel_id, text=messages.alert(outage))
            outage.alert_ts = posted["ts"]

    def _recovered(self, session: Session, state: ProbeState, now: datetime) -> None:
        if state.outage_id is not None:
            outage = session.get(ProbeOutage, state.outage_id)
            assert outage is not None
            outage.ended_at = now
            self.ctx.client.chat_postMessage(
                channel=outage.channel_id, thread_ts=outage.alert_ts, text=messages.recovery(outage)
            )
            self.ctx.client.chat_update(
                channel=outage.channel_id, ts=outage.alert_ts, text=messages.alert(outage, ended=True)
            )
        state.consecutive_failures, state.failing_since, state.outage_id = 0, None, None

    def _certificate(self, state: ProbeState, probe: Probe, expires: datetime, now: datetime) -> None:
        if state.cert_expires_at != expires:
            state.cert_expires_at, state.cert_warned_days = expires, []
        days_left = (expires - now).days
        threshold = probes.threshold_to_warn(days_left, probe.cert_warn_days, state.cert_warned_days)
        if threshold is not None:
            self.ctx.client.chat_postMessage(
                channel=self.ctx.channel("status"), text=messages.certificate_warning(probe, expires, days_left)
            )
            state.cert_warned_days = sorted(
                {*state.cert_warned_days, *(t for t in probe.cert_warn_days if days_left <= t)}
            )

    def describe(self, _call: CommandCall) -> str:
        now = self.ctx.clock.now()
        with self.ctx.db.reading() as session:
            states = {s.name: s for s in session.scalars(select(ProbeState))}
            return messages.status([messages.probe_line(p, states.get(p.name), now) for p in self.probes.values()])


class Pipelines:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.settings = ctx.config.gitlab

    def on_webhook(self, delivery: WebhookDelivery) -> str:
        event = pipelines.from_webhook(delivery.payload)
        if event.status not in pipelines.FINISHED:
            return f"pipeline {event.pipeline_id} is {event.status}: nothing to do"
        handled = self.ctx.once(
            f"gitlab:{delivery.delivery_id or f'pipeline:{event.project}:{event.pipeline_id}:{event.status}'}",
            lambda session: self.handle(session, event),
            source="webhook",
        )
        return handled or "already handled"

    def handle(self, session: Session, event: PipelineEvent) -> str:
        record = session.scalar(
            select(PipelineRecord)
            .where(PipelineRecord.project == event.project, PipelineRecord.pipeline_id == event.pipeline_id)
            .with_for_update()
        )
        if record is not None and record.status == event.status:
            return "already handled"
        if record is None:
            record = PipelineRecord(
                project=event.project, pipeline_id=event.pipeline_id, ref=event.ref, seen_at=self.ctx.clock.now()
            )
            session.add(record)
        record.status = event.status
        ref = session.get(PipelineRef, (event.project, event.ref), with_for_update=True)
        if event.status == "failed" and self.watched(event):
            channel = self.ctx.channel("status")
            text = messages.pipeline_failed(event, pipelines.failed_jobs(event.jobs))
            record.failure_ts = self.ctx.client.chat_postMessage(channel=channel, text=text)["ts"]
            if ref is None:
                ref = PipelineRef(project=event.project, ref=event.ref)
                session.add(ref)
            if ref.failing_pipeline_id is None or event.pipeline_id > ref.failing_pipeline_id:
                ref.failing_pipeline_id, ref.channel_id, ref.failure_ts = event.pipeline_id, channel, record.failure_ts
            return "failure posted"
        if event.status == "success" and ref is not None and _fixes(event, ref):
            assert ref.channel_id is not None
            self.ctx.client.chat_postMessage(
                channel=ref.channel_id, thread_ts=ref.failure_ts, text=messages.pipeline_fixed(event)
            )
            ref.failing_pipeline_id = ref.channel_id = ref.failure_ts = None
            return "fixed posted"
        return "recorded"

    def watched(self, event: PipelineEvent) -> bool:
        return event.ref in self.settings.watched_refs or event.source == "schedule"

    def poll(self, now: datetime) -> None:
        """The fallback when webhooks are missed: recent pipelines of the watched refs and schedules."""
        interval = self.settings.poll_interval
        gitlab = self.ctx.gitlab
        if gitlab is None or not interval:
            return
        with self.ctx.db.transaction() as session:
            if not claim_period(session, "gitlab.pipelines.poll", now, interval):
                return
        project = gitlab.projects.get(self.settings.app_project)
        listed = [
            p
            for ref in self.settings.watched_refs
            for p in project.pipelines.list(ref=ref, per_page=POLL_PER_REF, get_all=False)
        ]
        listed += project.pipelines.list(source="schedule", per_page=POLL_PER_REF, get_all=False)
        recent = {p.id: p for p in listed if p.status in pipelines.FINISHED and _recent(p, now)}
        with self.ctx.db.reading() as session:
            seen = {
                (r.pipeline_id, r.status)
                for r in session.scalars(
                    select(PipelineRecord).where(
                        PipelineRecord.project == project.path_with_namespace,
                        PipelineRecord.pipeline_id.in_(list(recent)),
                    )
                )
            }
        for pipeline_id in sorted(recent):
            listed_pipeline = recent[pipeline_id]
            if (pipeline_id, listed_pipeline.status) in seen:
                continue
            full = project.pipelines.get(pipeline_id)
            jobs = full.jobs.list(include_retried=True, get_all=True)
            commit = project.commits.get(full.sha)
            event = pipelines.from_api(project, full, jobs, commit)
            self.ctx.each([event], self.handle, "pipeline from the poller")


def _fixes(event: PipelineEvent, ref: PipelineRef) -> bool:
    """A green pipeline newer than the ref's posted failure."""
    failing = ref.failing_pipeline_id
    return failing is not None and event.pipeline_id > failing and bool(ref.channel_id and ref.failure_ts)


def _recent(pipeline: object, now: datetime) -> bool:
    updated = str(getattr(pipeline, "updated_at", "") or "")
    if not updated:
        return True
    return datetime.fromisoformat(updated.replace("Z", "+00:00")) >= now - POLL_LOOKBACK


def register(app: App, ctx: BotContext) -> None:
    monitor = Probes(ctx)
    ctx.scheduler.add("status.probes", monitor.run_due)
    ctx.commands.router("/fulfillment").add("status", monitor.describe, "health probes: state, latency, certificates")
    pipeline_alerts = Pipelines(ctx)
    ctx.webhooks.on("pipeline", pipeline_alerts.on_webhook)
    ctx.scheduler.add("status.pipeline_poll", pipeline_alerts.poll)


def demo_scene(tour: Tour) -> None:
    import requests

    from slackbot.demo import DEMO_WEBHOOK_SECRET
    from slackbot.testing.gitlab_payloads import pipeline_hook

    tour.scene("Status alerts in #s_fulfillment_status")
    tour.narrate("CustomersDot (a local endpoint here) starts answering 500; the probe checks every minute")
    tour.endpoint.flip("error")
    for _ in range(3):
        tour.wait(timedelta(minutes=1))
    tour.narrate("it comes back")
    tour.endpoint.flip("healthy")
    tour.wait(timedelta(minutes=1))
    tour.narrate("GitLab sends a Pipeline Hook: main failed, then the next pipeline passes")
    project = tour.harness.config.gitlab.app_project
    builds = [
        {"id": 11, "stage": "test", "name": "rspec 3/8", "status": "failed", "allow_failure": False},
        {"id": 12, "stage": "test", "name": "danger", "status": "failed", "allow_failure": True},
    ]
    for body in (pipeline_hook(project, 4711, "failed", builds=builds), pipeline_hook(project, 4712, "success")):
        requests.post(
            tour.harness.url + "/gitlab/webhook", json=body, headers={"X-Gitlab-Token": DEMO_WEBHOOK_SECRET}, timeout=30
        )
