"""Status alerts as state changes and the messages they decide.

Probe state and outages live in the database: a restart carries on mid-outage, updating the same
alert message (``outage:ID``). Pipelines are recorded by (project, ID) whether the webhook or the
poller saw them first, so each is posted once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.status import messages, pipelines, probes
from handlers.status.config import Probe
from handlers.status.events import Addition, FailedPipeline, ProbeAlerted
from handlers.status.models import PipelineRecord, PipelineRef, ProbeCheck, ProbeDay, ProbeOutage, ProbeState
from handlers.status.pipelines import PipelineEvent
from slackbot.config import GitLabSection
from slackbot.outbox import Priority
from slackbot.work import Work


def outage_days(session: Session, since: datetime, now: datetime) -> dict[str, set[date]]:
    """The UTC days each probe spent in an alerted outage from ``since`` to ``now``."""
    found: dict[str, set[date]] = {}
    query = select(ProbeOutage).where((ProbeOutage.ended_at.is_(None)) | (ProbeOutage.ended_at >= since))
    for outage in session.scalars(query):
        first, last = max(outage.started_at, since).date(), (outage.ended_at or now).date()
        found.setdefault(outage.probe, set()).update(first + timedelta(days=k) for k in range((last - first).days + 1))
    return found


def states(session: Session) -> dict[str, ProbeState]:
    return {s.name: s for s in session.scalars(select(ProbeState))}


HOUR = 3600


def check_row(probe: str, at: datetime, ok: bool, latency_ms: int | None) -> ProbeCheck:
    utc = at.astimezone(UTC)
    return ProbeCheck(
        probe=probe, at=utc, day=utc.date(), hour=int(utc.timestamp()) // HOUR, ok=ok, latency_ms=latency_ms
    )


def count_day(session: Session, check: ProbeCheck) -> None:
    """Add a check to its day's tally (the probe's state row is locked, so no one else counts it)."""
    day = session.get(ProbeDay, (check.probe, check.day), with_for_update=True)
    if day is None:
        session.add(ProbeDay(probe=check.probe, day=check.day, checks=1, passed=int(check.ok)))
    else:
        day.checks, day.passed = day.checks + 1, day.passed + int(check.ok)


def record_check(
    work: Work,
    probe: Probe,
    result: probes.CheckResult,
    channel_id: str,
    checked_at: datetime,
    in_maintenance: bool = False,
) -> ProbeAlerted | None:
    """Record one check and decide what to say; returns the alert when an outage starts. In a
    maintenance window a check is neither counted (uptime leaves the window out) nor alerted; a
    probe still failing when the window ends alerts at its next check."""
    state = work.session.scalar(select(ProbeState).where(ProbeState.name == probe.name).with_for_update())
    if state is None:
        state = ProbeState(name=probe.name, next_check_at=checked_at, consecutive_failures=0, cert_warned_days=[])
        work.session.add(state)
    elif state.last_checked_at is not None and state.last_checked_at >= checked_at:
        return None  # a newer check was recorded meanwhile (by the replica that took the lease over)
    state.next_check_at = checked_at + probe.interval
    state.last_checked_at, state.last_ok = checked_at, result.ok
    if not in_maintenance:
        check = check_row(probe.name, checked_at, result.ok, result.latency_ms)
        work.session.add(check)
        count_day(work.session, check)
    state.last_latency_ms, state.last_error = result.latency_ms, result.error
    if result.cert_expires_at is not None:
        _certificate(work, state, probe, result.cert_expires_at, channel_id)
    if result.ok:
        _recovered(work, state)
        return None
    if in_maintenance and state.outage_id is None:
        state.consecutive_failures = (state.consecutive_failures or 0) + 1
        state.failing_since = state.failing_since or work.now
        return None
    return _failed(work, state, probe, result.error, channel_id)


def _failed(work: Work, state: ProbeState, probe: Probe, error: str, channel_id: str) -> ProbeAlerted | None:
    state.consecutive_failures = (state.consecutive_failures or 0) + 1
    state.failing_since = state.failing_since or work.now
    if state.outage_id is not None:
        outage = work.session.get(ProbeOutage, state.outage_id)
        assert outage is not None
        outage.failures, outage.last_error = state.consecutive_failures, error
        work.slack.update(outage.alert_ref, messages.alert(outage), priority=Priority.ALERT, repost=True)
        return None
    if state.consecutive_failures < probe.failures_before_alert:
        return None
    outage = ProbeOutage(
        probe=probe.name,
        url=probe.url,
        started_at=state.failing_since,
        alerted_at=work.now,
        failures=state.consecutive_failures,
        last_error=error,
        channel_id=channel_id,
    )
    work.session.add(outage)
    work.session.flush()
    state.outage_id = outage.id
    work.slack.post(channel_id, messages.alert(outage), ref=outage.alert_ref, priority=Priority.ALERT)
    return ProbeAlerted(outage.id, probe.name, probe.url, error, outage.started_at, channel_id)


def _recovered(work: Work, state: ProbeState) -> None:
    if state.outage_id is not None:
        outage = work.session.get(ProbeOutage, state.outage_id)
        assert outage is not None
        outage.ended_at = work.now
        work.slack.post(
            outage.channel_id, messages.recovery(outage), thread_ref=outage.alert_ref, priority=Priority.ALERT
        )
        work.slack.update(outage.alert_ref, messages.alert(outage, ended=True), priority=Priority.ALERT)
    state.consecutive_failures, state.failing_since, state.outage_id = 0, None, None


def _certificate(work: Work, state: ProbeState, probe: Probe, expires: datetime, channel_id: str) -> None:
    if state.cert_expires_at != expires:
        state.cert_expires_at, state.cert_warned_days = expires, []
    days_left = (expires - work.now).days
    threshold = probes.threshold_to_warn(days_left, probe.cert_warn_days, state.cert_warned_days)
    if threshold is not None:
        text = messages.certificate_warning(probe, expires, days_left)
        work.slack.post(channel_id, text, priority=Priority.ALERT)
        state.cert_warned_days = sorted({*state.cert_warned_days, *(t for t in probe.cert_warn_days if days_left <= t)})


def pipeline_ref(event: PipelineEvent) -> str:
    return f"pipeline:{event.project}:{event.pipeline_id}"


def handle_pipeline(
    work: Work,
    event: PipelineEvent,
    settings: GitLabSection,
    channel_id: str,
    addition_for: Callable[[Work, FailedPipeline], Addition | None] | None = None,
) -> str:
    """Post a failure on a watched ref (or a schedule) once, and the next green pipeline's "fixed".
    ``addition_for`` (another capability's answer) may add a line and a button to the failure's
    post, in the same unit of work, before it is posted."""
    session = work.session
    record = session.scalar(
        select(PipelineRecord)
        .where(PipelineRecord.project == event.project, PipelineRecord.pipeline_id == event.pipeline_id)
        .with_for_update()
    )
    if record is not None and record.status == event.status:
        return "already handled"
    if record is None:
        record = PipelineRecord(project=event.project, pipeline_id=event.pipeline_id, ref=event.ref, seen_at=work.now)
        session.add(record)
    record.status = event.status
    ref = session.get(PipelineRef, (event.project, event.ref), with_for_update=True)
    if event.status == "failed" and watched(event, settings):
        record.failure_ref = pipeline_ref(event)
        jobs = pipelines.failed_jobs(event.jobs)
        failed = FailedPipeline(event.project, event.pipeline_id, event.ref, event.url, tuple(j.name for j in jobs))
        addition = addition_for(work, failed) if addition_for is not None else None
        text, blocks = messages.pipeline_failed(event, jobs, addition)
        work.slack.post(channel_id, text, blocks, ref=record.failure_ref, priority=Priority.ALERT)
        if ref is None:
            ref = PipelineRef(project=event.project, ref=event.ref)
            session.add(ref)
        if ref.failing_pipeline_id is None or event.pipeline_id > ref.failing_pipeline_id:
            ref.failing_pipeline_id, ref.channel_id, ref.failure_ref = event.pipeline_id, channel_id, record.failure_ref
        return "failure posted"
    if event.status == "success" and ref is not None and _fixes(event, ref):
        assert ref.channel_id is not None
        text = messages.pipeline_fixed(event)
        work.slack.post(ref.channel_id, text, thread_ref=ref.failure_ref, priority=Priority.ALERT)
        ref.failing_pipeline_id = ref.channel_id = ref.failure_ref = None
        return "fixed posted"
    return "recorded"


def watched(event: PipelineEvent, settings: GitLabSection) -> bool:
    return event.ref in settings.watched_refs or event.source == "schedule"


def _fixes(event: PipelineEvent, ref: PipelineRef) -> bool:
    """A green pipeline newer than the ref's posted failure."""
    failing = ref.failing_pipeline_id
    return failing is not None and event.pipeline_id > failing and bool(ref.channel_id and ref.failure_ref)


def seen(session: Session, project: str, pipeline_ids: list[int]) -> set[tuple[int, str]]:
    return {
        (r.pipeline_id, r.status)
        for r in session.scalars(
            select(PipelineRecord).where(
                PipelineRecord.project == project, PipelineRecord.pipeline_id.in_(pipeline_ids)
            )
        )
    }
