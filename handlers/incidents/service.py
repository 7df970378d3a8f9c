"""Incidents as state changes and the messages they decide (Grafana OnCall's way): every step locks
the incident's row, checks its state, runs the next level from the policy snapshotted when the
incident opened, and records its pages in the outbox, sent once the step commits.

Pages, user-group pings and PagerDuty triggers share the incident's page group. Acknowledging or
resolving cancels the ones not yet sent; the ones already sent (or on their way) are closed: DM
pages are edited to say no action is needed, and PagerDuty gets ``acknowledge``/``resolve``.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.incidents import messages
from handlers.incidents.config import IncidentsSection
from handlers.incidents.models import Incident, TimelineEntry
from handlers.incidents.policy import Level, OnCallWanted, Step, levels, next_step, snapshot
from slackbot import pagerduty
from slackbot.durations import format_duration
from slackbot.mrkdwn import plain, truncate
from slackbot.outbox import Priority
from slackbot.slack_effects import usergroup_mention
from slackbot.work import Work

PAGE = "incidents.page"
PAGE_LINK_WAIT = timedelta(seconds=2)  # a DM page waits this long at most for the link to its incident
DEFAULT_SEVERITY = "sev2"


def dedup_key(incident: Incident) -> str:
    return f"fulfillbot-incident-{incident.id}"


def lock(session: Session, incident_id: int) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())


def note(work: Work, incident: Incident, kind: str, actor: str = "", text: str = "") -> None:
    work.session.add(TimelineEntry(incident_id=incident.id, at=work.now, kind=kind, actor=actor, text=text))


def declare(
    work: Work,
    settings: IncidentsSection,
    channel_id: str,
    summary: str,
    severity: str,
    source: str,
    by: str,
    *,
    paging: Paging,
    outage_id: int | None = None,
) -> Incident:
    """Open an incident: its message in the status channel, then level 1 of the policy."""
    incident = Incident(
        summary=summary,
        severity=severity,
        source=source,
        outage_id=outage_id,
        state="open",
        declared_by=by,
        declared_at=work.now,
        channel_id=channel_id,
        policy=snapshot(settings),
        next_level=0,
        rounds=0,
        next_step_at=work.now,
        escalation_stopped=False,
    )
    work.session.add(incident)
    work.session.flush()
    note(work, incident, "declared", by, f"{severity}, from {source}: {summary}")
    message = work.slack.post(channel_id, "", ref=incident.ref, priority=Priority.URGENT)
    _page_next(work, incident, paging)
    assert message is not None
    work.slack.rewrite(message, *messages.channel_message(incident, len(levels(incident.policy))))
    return incident


def step(work: Work, incident: Incident, paging: Paging) -> None:
    """Page the next level (or announce that the policy is exhausted), schedule the one after, and
    show the new state on the incident's message."""
    _page_next(work, incident, paging)
    refresh(work, incident)


@dataclass(frozen=True)
class Paging:
    """How pages go out: to PagerDuty as well (``pagerduty``), and who a level with ``oncall`` pages
    (``on_call(work, wanted)`` fills in an ``OnCallWanted``; the oncall capability answers it)."""

    pagerduty: bool = False
    on_call: Callable[[Work, OnCallWanted], None] = lambda _work, _wanted: None


def _page_next(work: Work, incident: Incident, paging: Paging) -> None:
    """Page the next level. A level whose rotation has nobody on call (the person is away and
    nobody covered) is passed over to the next one at once, and the timeline says so."""
    chain = levels(incident.policy)
    while True:
        planned = next_step(incident.policy, incident.next_level, incident.rounds)
        if planned.page_level is None:
            _stop(work, incident, bool(chain))
            return
        level = chain[planned.page_level]
        users, why = level.users, ""
        if level.oncall:
            wanted = OnCallWanted(level.oncall, work.now, why=f"nobody answers for the rotation {level.oncall}")
            paging.on_call(work, wanted)
            if wanted.user is None:
                note(work, incident, "passed over", text=f"level {planned.page_level + 1}: {wanted.why}")
                incident.next_level, incident.rounds = planned.next_level, planned.rounds
                continue
            users, why = (wanted.user,), f" ({wanted.why})"
        _page_level(work, incident, planned, level, users, why, paging)
        return


def _stop(work: Work, incident: Incident, had_levels: bool) -> None:
    incident.next_step_at = None
    if had_levels and not incident.escalation_stopped:
        incident.escalation_stopped = True
        note(work, incident, "escalation stopped", text="nobody acknowledged")
        thread(work, incident, messages.stopped(incident), broadcast=True)


def _page_level(
    work: Work, incident: Incident, planned: Step, level: Level, users: tuple[str, ...], why: str, paging: Paging
) -> None:
    assert planned.page_level is not None
    for user in users:
        work.out.add(
            PAGE,
            {"incident": incident.id, "level": planned.page_level},
            lane=f"slack:{user}",
            priority=Priority.URGENT,
            ref=f"{incident.ref}:page:{uuid.uuid4().hex[:12]}",
            group=incident.pages,
            wait_for=incident.ref,
            wait_at_most=PAGE_LINK_WAIT,
        )
    if users and paging.pagerduty:
        pagerduty.record(
            work.out,
            "trigger",
            dedup_key(incident),
            payload=pagerduty_payload(incident, planned.page_level),
            link_ref=incident.ref,
            link_text="Incident in Slack",
            group=incident.pages,
        )
    if level.usergroup:
        ping = messages.usergroup_ping(usergroup_mention(level.usergroup), incident)
        thread(work, incident, ping, broadcast=True, group=incident.pages)
    who = ", ".join(f"<@{u}>" for u in users) or f"@{level.usergroup}"
    note(work, incident, "paged", text=f"level {planned.page_level + 1}: {who}{why}")
    incident.paged_level = planned.page_level
    incident.next_level, incident.rounds = planned.next_level, planned.rounds
    incident.next_step_at = work.now + planned.wait if planned.wait is not None else None


def pagerduty_payload(incident: Incident, level: int) -> dict[str, Any]:
    return {
        "summary": truncate(plain(messages.title(incident)), 1024),
        "source": "fulfillbot",
        "severity": messages.SEVERITIES.get(incident.severity, "error"),
        "component": "CustomersDot" if incident.source == "probe" else "fulfillment",
        "group": "fulfillment",
        "class": incident.source,
        "custom_details": {"incident": incident.id, "declared_by": incident.declared_by, "level": level + 1},
    }


def refresh(work: Work, incident: Incident) -> None:
    text, blocks = messages.channel_message(incident, len(levels(incident.policy)))
    work.slack.update(incident.ref, text, blocks, priority=Priority.URGENT)


def thread(work: Work, incident: Incident, text: str, broadcast: bool = False, group: str | None = None) -> None:
    work.slack.post(
        incident.channel_id, text, thread_ref=incident.ref, broadcast=broadcast, priority=Priority.URGENT, group=group
    )


def acknowledge(work: Work, incident: Incident, user: str) -> str | None:
    if incident.state != "open":
        return f"Incident #{incident.id} is already {incident.state}."
    incident.state, incident.acked_by, incident.acked_at, incident.next_step_at = "acknowledged", user, work.now, None
    note(work, incident, "acknowledged", user)
    stop_paging(work, incident, "acknowledge")
    thread(
        work, incident, f":eyes: Acknowledged by <@{user}> after {format_duration(work.now - incident.declared_at)}."
    )
    return None


def escalate(work: Work, incident: Incident, user: str, paging: Paging) -> str | None:
    if incident.state != "open":
        return f"Incident #{incident.id} is {incident.state}: nothing to escalate."
    if incident.escalation_stopped:
        incident.next_level, incident.escalation_stopped = 0, False
    note(work, incident, "escalated", user)
    step(work, incident, paging)
    return None


def resolve(work: Work, incident: Incident, user: str, zone: ZoneInfo) -> str | None:
    if incident.state == "resolved":
        return f"Incident #{incident.id} is already resolved."
    if incident.acked_at is None:
        incident.acked_by, incident.acked_at = user, work.now
    incident.state, incident.resolved_by, incident.resolved_at = "resolved", user, work.now
    incident.next_step_at = None
    note(work, incident, "resolved", user)
    stop_paging(work, incident, "resolve")
    work.session.flush()
    thread(work, incident, messages.timeline(incident, timeline(work.session, incident), zone))
    return None


def timeline(session: Session, incident: Incident) -> list[TimelineEntry]:
    return list(
        session.scalars(
            select(TimelineEntry).where(TimelineEntry.incident_id == incident.id).order_by(TimelineEntry.id)
        )
    )


def stop_paging(work: Work, incident: Incident, pagerduty_action: str) -> None:
    """Cancel every page not yet sent, close the ones sent, tell PagerDuty, update the message."""
    sent = work.out.cancel(incident.pages)
    for row in sent:
        if row.kind == PAGE and row.ref:
            work.slack.update(row.ref, messages.page_closed(incident), [], priority=Priority.URGENT)
    if any(row.kind == pagerduty.KIND for row in sent):
        pagerduty.record(work.out, pagerduty_action, dedup_key(incident))
    refresh(work, incident)


def note_command(work: Work, incident: Incident, user: str, text: str) -> None:
    note(work, incident, "note", user, text)
    thread(work, incident, f":memo: <@{user}>: {text}")


def due(session: Session, now: datetime) -> list[int]:
    return list(
        session.scalars(
            select(Incident.id).where(Incident.state == "open", Incident.next_step_at <= now).order_by(Incident.id)
        )
    )


def step_if_due(work: Work, incident_id: int, paging: Paging) -> None:
    incident = lock(work.session, incident_id)
    if (
        incident is not None
        and incident.state == "open"
        and incident.next_step_at
        and incident.next_step_at <= work.now
    ):
        step(work, incident, paging)


def open_incidents(session: Session) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.state != "resolved").order_by(Incident.id)))


def for_outage(session: Session, outage_id: int) -> int | None:
    return session.scalar(select(Incident.id).where(Incident.outage_id == outage_id))


def declared_since(session: Session, since: datetime) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.declared_at >= since)))


def mean(values: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=statistics.mean(v.total_seconds() for v in values)) if values else None
