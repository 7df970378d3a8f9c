"""Heartbeats: scheduled jobs (a cron job, the daily pipeline) that must check in, by
``POST /heartbeat/<name>`` or by a passed pipeline. A missed check-in is an outage of the
heartbeat, posted and signalled as a probe's is; the next check-in recovers it."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session

from handlers.status import service
from handlers.status.config import Heartbeat, Probe, StatusSection
from handlers.status.models import HeartbeatState
from handlers.status.pipelines import PipelineEvent
from handlers.status.probes import CheckResult
from handlers.status.service import ProbeAlerted
from slackbot.config import Config
from slackbot.db import insert_for
from slackbot.durations import format_duration
from slackbot.work import Work

LOOKBACK = (timedelta(hours=1), timedelta(days=1), timedelta(days=8))  # widened until a fire time is found


def last_due(beat: Heartbeat, now: datetime) -> datetime | None:
    """The latest expected check-in whose grace has passed by ``now`` (None within a week)."""
    trigger = CronTrigger.from_crontab(beat.expect, timezone="UTC")
    limit = now - beat.grace
    for back in LOOKBACK:
        last, fire = None, trigger.get_next_fire_time(None, limit - back)
        while fire is not None and fire <= limit:
            last, fire = fire, trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        if last is not None:
            return last
    return None


def state(session: Session, name: str) -> HeartbeatState | None:
    return session.get(HeartbeatState, name)


def watch(work: Work, name: str) -> None:
    """Start watching: a check-in due before now is not held against it."""
    statement = insert_for(work.session, HeartbeatState).values(name=name, watched_since=work.now)
    work.session.execute(statement.on_conflict_do_nothing(index_elements=["name"]))


def missed(found: HeartbeatState, due: datetime) -> bool:
    return due >= found.watched_since and (found.last_check_in_at is None or found.last_check_in_at < due)


def _probe(beat: Heartbeat) -> Probe:
    """The heartbeat as the probe machinery knows it: an outage after one missed check-in."""
    return Probe(name=beat.outage_name, url="", failures_before_alert=1)


def check_in(work: Work, beat: Heartbeat, channel_id: str) -> None:
    watch(work, beat.name)
    found = work.session.get(HeartbeatState, beat.name, with_for_update=True)
    assert found is not None
    found.last_check_in_at = work.now
    service.record_check(work, _probe(beat), CheckResult(True, "", None, None), channel_id, work.now)


def alert_missed(work: Work, beat: Heartbeat, due: datetime, channel_id: str) -> ProbeAlerted | None:
    error = f"no check-in for the one due at {due:%Y-%m-%d %H:%M} UTC (grace {format_duration(beat.grace)})"
    return service.record_check(work, _probe(beat), CheckResult(False, error, None, None), channel_id, work.now)


def pipeline_passed(work: Work, event: PipelineEvent, config: Config, channel_id: str) -> None:
    """A passed pipeline of the app project is the check-in of the heartbeats it matches."""
    if event.status != "success" or event.project != config.gitlab.app_project:
        return
    for beat in config.section(StatusSection).heartbeats:
        if beat.counts(event.ref, event.source):
            check_in(work, beat, channel_id)
