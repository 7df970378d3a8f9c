"""Scheduled, in the background (they wait on the network, never on escalation's turn): health
probes, and the GitLab poller that catches pipelines a webhook missed."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial

from handlers.status import api, heartbeats, pipelines, probes, service
from handlers.status.config import StatusSection
from slackbot.context import BotContext
from slackbot.periodic import claim_period

log = logging.getLogger(__name__)

POLL_LOOKBACK = timedelta(days=1)
POLL_PER_REF = 5


def run_probes(ctx: BotContext, now: datetime) -> None:
    """Check every due probe, in parallel, then record each result in its own unit of work."""
    with ctx.db.reading() as session:
        states = service.states(session)
    configured = ctx.config.section(StatusSection).probes
    due = [p for p in configured if p.name not in states or states[p.name].next_check_at <= now]
    if not due:
        return
    with ThreadPoolExecutor(max_workers=min(8, len(due)), thread_name_prefix="probe") as pool:
        results = list(pool.map(lambda p: probes.check(p, ctx.settings.ca_bundle or None), due))
    checked_at = ctx.clock.now()
    in_maintenance = ctx.providers.get(api.IN_MAINTENANCE)
    for probe, result in zip(due, results, strict=True):
        try:
            with ctx.work() as work:
                held = in_maintenance is not None and in_maintenance(work.session, probe.name, checked_at)
                alerted = service.record_check(work, probe, result, ctx.channel("status"), checked_at, held)
                if alerted is not None:
                    ctx.signals.send(work, alerted)
        except Exception:
            log.exception("recording the check of %s failed; it is checked again when due", probe.name)


def poll_pipelines(ctx: BotContext, now: datetime) -> None:
    """The fallback when webhooks are missed: recent pipelines of the watched refs and schedules."""
    settings = ctx.config.gitlab
    gitlab = ctx.gitlab
    if gitlab is None or not settings.poll_interval:
        return
    with ctx.db.transaction() as session:
        if not claim_period(session, "gitlab.pipelines.poll", now, settings.poll_interval):
            return
    project = gitlab.projects.get(settings.app_project)
    listed = [
        p
        for ref in settings.watched_refs
        for p in project.pipelines.list(ref=ref, per_page=POLL_PER_REF, get_all=False)
    ]
    listed += project.pipelines.list(source="schedule", per_page=POLL_PER_REF, get_all=False)
    recent = {p.id: p for p in listed if p.status in pipelines.FINISHED and _recent(p, now)}
    with ctx.db.reading() as session:
        seen = service.seen(session, project.path_with_namespace, list(recent))
    for pipeline_id in sorted(recent):
        if (pipeline_id, recent[pipeline_id].status) in seen:
            continue
        full = project.pipelines.get(pipeline_id)
        jobs = full.jobs.list(include_retried=True, get_all=True)
        event = pipelines.from_api(project, full, jobs, project.commits.get(full.sha))
        with ctx.work() as work:
            addition_for = ctx.providers.get(api.PIPELINE_FAILED)
            service.handle_pipeline(work, event, settings, ctx.channel("status"), addition_for)


def watch_heartbeats(ctx: BotContext, now: datetime) -> None:
    """A heartbeat whose check-in is overdue is alerted once per expected check-in."""
    for beat in ctx.config.section(StatusSection).heartbeats:
        due = heartbeats.last_due(beat, now)
        with ctx.db.reading() as session:
            found = heartbeats.state(session, beat.name)
            late = found is not None and due is not None and heartbeats.missed(found, due)
        if found is None:
            with ctx.work() as work:
                heartbeats.watch(work, beat.name)
        elif late and due is not None:
            with ctx.work() as work:
                if ctx.once(work, f"heartbeat:{beat.name}:{due.isoformat()}"):
                    alerted = heartbeats.alert_missed(work, beat, due, ctx.channel("status"))
                    if alerted is not None:
                        ctx.signals.send(work, alerted)


def _recent(pipeline: object, now: datetime) -> bool:
    updated = str(getattr(pipeline, "updated_at", "") or "")
    if not updated:
        return True
    return datetime.fromisoformat(updated.replace("Z", "+00:00")) >= now - POLL_LOOKBACK


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("status.probes", partial(run_probes, ctx), background=True)
    ctx.scheduler.add("status.pipeline_poll", partial(poll_pipelines, ctx), background=True)
    if ctx.config.section(StatusSection).heartbeats:
        ctx.scheduler.add("status.heartbeats", partial(watch_heartbeats, ctx))
