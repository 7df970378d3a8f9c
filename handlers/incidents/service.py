"""Incidents as state changes and the messages they decide (Grafana OnCall's way): every step locks
the incident's row, checks its state, runs the next level from the policy snapshotted when the
incident opened, and records its pages in the outbox, sent once the step commits.

Pages, user-group pings and PagerDuty triggers share the incident's page group. Acknowledging or
resolving cancels the ones not yet sent; the ones already sent (or on their way) are closed: DM
pages are edited to say no action is needed, and PagerDuty gets ``acknowledge``/``resolve``.
"""

from __future__ import annotations

import re
import statistics
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.blockers import api as blockers
from handlers.incidents import messages
from handlers.incidents.config import IncidentsSection
from handlers.incidents.models import Incident, IncidentResponder, TimelineEntry
from handlers.incidents.policy import (
    DEPLOYS_BEFORE,
    ON_CALL,
    RECENT_DEPLOYS,
    Level,
    OnCall,
    RecentDeploy,
    Step,
    levels,
    next_step,
    snapshot,
)
from slackbot import pagerduty
from slackbot.db import insert_for
from slackbot.durations import format_duration
from slackbot.effects import Effect
from slackbot.mrkdwn import is_user_id, plain, truncate
from slackbot.outbox import Priority
from slackbot.providers import Providers
from slackbot.slack_effects import usergroup_mention
from slackbot.work import Work

RoomOp = Literal["create", "invite", "intro", "archive"]


@dataclass(frozen=True)
class Page(Effect):
    """A DM page to the lane's person for ``level``, or from ``by`` (``/incident page``, with a
    ``note``); its text is read when it is sent."""

    KIND: ClassVar[str] = "incidents.page"
    VERSION: ClassVar[int] = 2  # 2: ``by`` and ``note``
    incident: int
    level: int
    by: str = ""
    note: str = ""


@dataclass(frozen=True)
class RoomStep(Effect):
    """One step for the incident's channel: create (``name``), invite (``users``), intro, archive."""

    KIND: ClassVar[str] = "incidents.room"
    op: RoomOp
    incident: int
    name: str = ""
    users: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Say(Effect):
    """A post in the incident's channel, or its thread if Slack refused the channel."""

    KIND: ClassVar[str] = "incidents.say"
    incident: int
    text: str
    mirrored: bool  # also said in the status thread (broadcast): not repeated there


@dataclass(frozen=True)
class FileIssue(Effect):
    """The GitLab incident issue, filed on resolve from the incident's timeline."""

    KIND: ClassVar[str] = "incidents.issue"
    incident: int


ROOM_NAME_LIMIT = 80
PAGE_LINK_WAIT = timedelta(seconds=2)  # a DM page waits this long at most for the link to its incident
DEFAULT_SEVERITY = "sev2"


def dedup_key(incident: Incident) -> str:
    return f"fulfillbot-incident-{incident.id}"


def lock(session: Session, incident_id: int) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())


def note(work: Work, incident: Incident, kind: str, actor: str = "", text: str = "") -> None:
    work.session.add(TimelineEntry(incident_id=incident.id, at=work.now, kind=kind, actor=actor, text=text))


def add_responder(work: Work, incident: Incident, user: str, why: str) -> None:
    """``user`` may act on the incident from now on (once, however often they are paged)."""
    row = {"incident_id": incident.id, "user_id": user, "since": work.now, "why": why}
    work.session.execute(insert_for(work.session, IncidentResponder).values(**row).on_conflict_do_nothing())


def is_responder(session: Session, incident: Incident, user: str) -> bool:
    """Paged for it, handed its lead, or leading it."""
    if user == incident.lead:
        return True
    found = select(IncidentResponder.id).where(
        IncidentResponder.incident_id == incident.id, IncidentResponder.user_id == user
    )
    return session.scalar(found.limit(1)) is not None


@dataclass(frozen=True)
class FailedDeploy:
    """The pipeline an incident was declared for: named once (``key``), linked, and first in its timeline."""

    key: str  # project#pipeline_id
    url: str
    text: str


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
    deploy: FailedDeploy | None = None,
) -> Incident:
    """Open an incident: its message in the status channel, its own channel if wanted, then level 1."""
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
        room_state="pending" if settings.channel else "none",
        issue_state="",
        pipeline_key=deploy.key if deploy else None,
        pipeline_url=deploy.url if deploy else None,
    )
    work.session.add(incident)
    work.session.flush()
    if deploy is not None:
        note(work, incident, "deploy failed", text=deploy.text)
    note(work, incident, "declared", by, f"{severity}, from {source}: {summary}")
    deploys = paging.deploys_before(work)
    for recent in deploys:
        note(work, incident, "deployed before", text=messages.deploy_line(recent))
    message = work.slack.post(channel_id, "", ref=incident.ref, priority=Priority.URGENT)
    if deploys:
        thread(work, incident, messages.deploys_before(deploys))
    if incident.has_room:
        room(work, incident, "create", name=room_name(incident))
        if is_user_id(by):
            room(work, incident, "invite", users=[by])
        room(work, incident, "intro")
    _page_next(work, incident, paging)
    assert message is not None
    work.slack.rewrite(message, *messages.channel_message(incident, len(levels(incident.policy))))
    return incident


def room(work: Work, incident: Incident, op: RoomOp, name: str = "", users: list[str] | None = None) -> None:
    """One step for the incident's channel (create, invite, intro, archive), each its own outbox row
    in the channel's lane: in order, and a step retried never repeats the ones before it. The
    channel is created once the status message is posted (or 2 s on), so its intro links to it."""
    first = op == "create"
    work.out.add_effect(
        RoomStep(op, incident.id, name, users or []),
        lane=incident.room_lane,
        priority=Priority.URGENT,
        wait_for=incident.ref if first else None,
        wait_at_most=PAGE_LINK_WAIT if first else None,
    )


def room_name(incident: Incident) -> str:
    """``inc-<id>-<slug of the summary>``, within Slack's rules: lowercase letters, digits and
    hyphens, at most 80 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", plain(incident.summary).lower()).strip("-")
    return f"inc-{incident.id}-{slug}"[:ROOM_NAME_LIMIT].rstrip("-")


def step(work: Work, incident: Incident, paging: Paging) -> None:
    """Page the next level (or announce that the policy is exhausted), schedule the one after, and
    show the new state on the incident's message."""
    _page_next(work, incident, paging)
    refresh(work, incident)


@dataclass(frozen=True)
class Paging:
    """How pages go out: to PagerDuty as well (``pagerduty``), and who a level with ``oncall`` pages
    (asked of the on-call capability through ``providers`` when the level runs)."""

    pagerduty: bool = False
    providers: Providers | None = None

    def deploys_before(self, work: Work) -> list[RecentDeploy]:
        answer = self.providers.get(RECENT_DEPLOYS) if self.providers is not None else None
        return answer(work.session, work.now - DEPLOYS_BEFORE, work.now) if answer is not None else []

    def who_is_on_call(self, work: Work, rotation: str) -> OnCall:
        answer = self.providers.get(ON_CALL) if self.providers is not None else None
        if answer is None:
            return OnCall(None, f"nobody answers for the rotation {rotation}")
        return answer(work.session, rotation, work.now)


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
            wanted = paging.who_is_on_call(work, level.oncall)
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
        say(work, incident, messages.stopped(incident), broadcast=True)


def _page_level(
    work: Work, incident: Incident, planned: Step, level: Level, users: tuple[str, ...], why: str, paging: Paging
) -> None:
    assert planned.page_level is not None
    _page_people(work, incident, users, Page(incident.id, planned.page_level), paging)
    if level.usergroup:
        ping = messages.usergroup_ping(usergroup_mention(level.usergroup), incident)
        thread(work, incident, ping, broadcast=True, group=incident.pages)
    who = ", ".join(f"<@{u}>" for u in users) or f"@{level.usergroup}"
    note(work, incident, "paged", text=f"level {planned.page_level + 1}: {who}{why}")
    incident.paged_level = planned.page_level
    incident.next_level, incident.rounds = planned.next_level, planned.rounds
    incident.next_step_at = work.now + planned.wait if planned.wait is not None else None


def _page_people(work: Work, incident: Incident, users: Sequence[str], page: Page, paging: Paging) -> None:
    """DM each person (on their own lane, after the incident's message is posted), make them
    responders, invite them to the incident's channel, and trigger PagerDuty."""
    for user in users:
        add_responder(work, incident, user, "paged")
        work.out.add_effect(
            page,
            lane=f"slack:{user}",
            priority=Priority.URGENT,
            ref=f"{incident.ref}:page:{uuid.uuid4().hex[:12]}",
            group=incident.pages,
            wait_for=incident.ref,
            wait_at_most=PAGE_LINK_WAIT,
        )
    if users and incident.has_room:
        room(work, incident, "invite", users=list(users))
    if users and paging.pagerduty:
        pagerduty.record(
            work.out,
            "trigger",
            dedup_key(incident),
            payload=pagerduty_payload(incident, page.level),
            link_ref=incident.ref,
            link_text="Incident in Slack",
            group=incident.pages,
        )


def page_now(
    work: Work, incident: Incident, users: Sequence[str], group: str, by: str, text: str, paging: Paging
) -> str | None:
    """``/incident page``: people (and a user group's ping in the thread) brought in now, outside
    the escalation policy's steps, which go on as they were."""
    if incident.state == "resolved":
        return f"Incident #{incident.id} is resolved: nobody needs paging."
    _page_people(work, incident, users, Page(incident.id, incident.paged_level or 0, by, text), paging)
    if group:
        ping = messages.usergroup_ping(usergroup_mention(group), incident)
        thread(work, incident, ping, broadcast=True, group=incident.pages)
    who = ", ".join([*(f"<@{u}>" for u in users), *([f"@{group}"] if group else [])])
    note(work, incident, "paged", by, f"by <@{by}>: {who}" + (f" ({text})" if text else ""))
    say(work, incident, f":rotating_light: <@{by}> paged {who}." + (f" {text}" if text else ""))
    return None


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
    blocker_url = blockers.blocker_url(work.session, incident.blocker_id) if incident.blocker_id else ""
    text, blocks = messages.channel_message(incident, len(levels(incident.policy)), blocker_url)
    work.slack.update(incident.ref, text, blocks, priority=Priority.URGENT)


def thread(work: Work, incident: Incident, text: str, broadcast: bool = False, group: str | None = None) -> None:
    work.slack.post(
        incident.channel_id, text, thread_ref=incident.ref, broadcast=broadcast, priority=Priority.URGENT, group=group
    )


def say(work: Work, incident: Incident, text: str, broadcast: bool = False) -> None:
    """Where the incident is talked about: its own channel (``Say`` decides at sending whether Slack
    made it, else it falls back to the thread), or the thread of its status message. With
    ``broadcast``, the status channel sees it too."""
    if not incident.has_room:
        thread(work, incident, text, broadcast=broadcast)
        return
    work.out.add_effect(Say(incident.id, text, broadcast), lane=incident.room_lane, priority=Priority.URGENT)
    if broadcast:
        thread(work, incident, text, broadcast=True)


def acknowledge(work: Work, incident: Incident, user: str) -> str | None:
    if incident.state != "open":
        return f"Incident #{incident.id} is already {incident.state}."
    incident.state, incident.acked_by, incident.acked_at, incident.next_step_at = "acknowledged", user, work.now, None
    incident.lead = incident.lead or user
    note(work, incident, "acknowledged", user)
    stop_paging(work, incident, "acknowledge")
    after = format_duration(work.now - incident.declared_at)
    lead = f" Lead: <@{incident.lead}>." if incident.lead != user else ""
    say(work, incident, f":eyes: Acknowledged by <@{user}> after {after}.{lead}")
    return None


def escalate(work: Work, incident: Incident, user: str, paging: Paging) -> str | None:
    if incident.state != "open":
        return f"Incident #{incident.id} is {incident.state}: nothing to escalate."
    if incident.escalation_stopped:
        incident.next_level, incident.escalation_stopped = 0, False
    note(work, incident, "escalated", user)
    step(work, incident, paging)
    return None


def resolve(work: Work, incident: Incident, user: str, zone: ZoneInfo, *, file_issue: bool) -> str | None:
    if incident.state == "resolved":
        return f"Incident #{incident.id} is already resolved."
    if incident.acked_at is None:
        incident.acked_by, incident.acked_at = user, work.now
    incident.state, incident.resolved_by, incident.resolved_at = "resolved", user, work.now
    incident.next_step_at = None
    note(work, incident, "resolved", user)
    stop_paging(work, incident, "resolve")
    work.session.flush()
    say(work, incident, messages.timeline(incident, timeline(work.session, incident), zone))
    if file_issue:
        request_issue(work, incident)
    return None


def request_issue(work: Work, incident: Incident) -> None:
    """File the incident's GitLab issue through the outbox: retried while GitLab fails, and found
    again rather than filed twice if an earlier try got through."""
    incident.issue_state = "filing"
    work.out.add_effect(FileIssue(incident.id), lane=f"gitlab:incident:{incident.id}")


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
        if row.kind == Page.KIND and row.ref:
            work.slack.update(row.ref, messages.page_closed(incident), [], priority=Priority.URGENT)
    if any(row.kind == pagerduty.PagerDutyEvent.KIND for row in sent):
        pagerduty.record(work.out, pagerduty_action, dedup_key(incident))
    refresh(work, incident)


def note_command(work: Work, incident: Incident, user: str, text: str) -> None:
    note(work, incident, "note", user, text)
    say(work, incident, f":memo: <@{user}>: {text}")


def hand_lead(work: Work, incident: Incident, by: str, lead: str) -> str | None:
    if incident.state == "resolved":
        return f"Incident #{incident.id} is resolved."
    if incident.lead == lead:
        return f"<@{lead}> already leads incident #{incident.id}."
    incident.lead = lead
    add_responder(work, incident, lead, "lead")
    note(work, incident, "lead", by, f"<@{lead}>")
    say(work, incident, f":crown: <@{lead}> now leads incident #{incident.id} (handed over by <@{by}>).")
    work.slack.post(lead, messages.lead_dm(incident, by), priority=Priority.URGENT)
    refresh(work, incident)
    return None


def post_update(work: Work, incident: Incident, user: str, text: str) -> str | None:
    """A status update: in the incident's conversation and, broadcast, in the status channel."""
    if incident.state == "resolved":
        return f"Incident #{incident.id} is resolved: add a note instead."
    incident.last_update_at = work.now
    note(work, incident, "update", user, text)
    say(work, incident, messages.status_update(incident, user, text), broadcast=True)
    return None


def change_severity(work: Work, incident: Incident, user: str, severity: str, paging: Paging) -> str | None:
    """Raising an unacknowledged incident to sev1 pages level 1 again now; other changes leave
    escalation as it is."""
    if incident.severity == severity:
        return f"Incident #{incident.id} is already {severity}."
    if incident.state == "resolved":
        return f"Incident #{incident.id} is resolved."
    before, incident.severity = incident.severity, severity
    note(work, incident, "severity", user, f"{before} → {severity}")
    say(
        work,
        incident,
        f":rotating_light: <@{user}> changed the severity of incident #{incident.id}: {before} → {severity}.",
    )
    if severity == "sev1" and incident.state == "open":
        incident.next_level, incident.rounds, incident.escalation_stopped = 0, 0, False
        note(work, incident, "escalation restarted", text="raised to sev1 while unacknowledged")
        step(work, incident, paging)
    else:
        refresh(work, incident)
    return None


def update_reminders_due(session: Session, now: datetime, every: timedelta) -> list[int]:
    """Led incidents still open with no status update for ``every``, not reminded in this gap."""
    if every <= timedelta(0):
        return []
    led = session.scalars(select(Incident).where(Incident.state != "resolved", Incident.lead.is_not(None)))
    return [i.id for i in led if _update_gap(i, now, every)]


def _update_gap(incident: Incident, now: datetime, every: timedelta) -> datetime | None:
    """The start of the current gap without an update, when it has lasted ``every`` and is not reminded."""
    since = max(t for t in (incident.last_update_at, incident.acked_at, incident.declared_at) if t is not None)
    reminded = incident.update_reminded_at
    return since if now - since >= every and (reminded is None or reminded < since) else None


def remind_update(work: Work, incident_id: int, every: timedelta) -> None:
    incident = lock(work.session, incident_id)
    if incident is None or incident.state == "resolved" or incident.lead is None:
        return
    since = _update_gap(incident, work.now, every)
    if since is not None:
        incident.update_reminded_at = work.now
        work.slack.post(incident.lead, messages.update_reminder(incident, work.now - since), priority=Priority.URGENT)


def rooms_to_archive(session: Session, now: datetime, after: timedelta) -> list[int]:
    query = select(Incident.id).where(
        Incident.state == "resolved", Incident.room_state == "ready", Incident.resolved_at <= now - after
    )
    return list(session.scalars(query))


def archive_room(work: Work, incident_id: int) -> None:
    incident = lock(work.session, incident_id)
    if incident is not None and incident.room_state == "ready":
        incident.room_state = "archived"
        room(work, incident, "archive")


def room_opened(work: Work, incident_id: int, channel_id: str) -> None:
    """Slack made the incident's channel: the status message links to it."""
    incident = lock(work.session, incident_id)
    if incident is not None and incident.room_state == "pending":
        incident.room_state, incident.room_channel_id = "ready", channel_id
        refresh(work, incident)


def room_refused(work: Work, incident_id: int) -> None:
    """Slack refused the channel: the incident goes on in the status message's thread."""
    incident = lock(work.session, incident_id)
    if incident is not None and incident.room_state == "pending":
        incident.room_state = "refused"


def issue_filed(work: Work, incident_id: int, url: str) -> None:
    incident = lock(work.session, incident_id)
    if incident is not None:
        incident.issue_state, incident.issue_url = "filed", url
        note(work, incident, "issue filed", text=url)
        say(work, incident, f":memo: The incident issue for #{incident.id} is filed: <{url}|GitLab issue>.")
        refresh(work, incident)


def issue_failing(work: Work, incident_id: int, error: str, for_good: bool) -> None:
    """Tell the lead once that GitLab is failing (retries go on), or that it refused the issue."""
    incident = lock(work.session, incident_id)
    if incident is None:
        return
    if for_good:
        incident.issue_state = "failed"
    person = incident.lead or incident.resolved_by or incident.declared_by
    if is_user_id(person):
        work.slack.post(person, messages.issue_failing(incident, error, for_good))


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


def incidents_in(session: Session, states: tuple[str, ...]) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.state.in_(states)).order_by(Incident.id)))


def recently_resolved(session: Session, limit: int) -> list[Incident]:
    query = select(Incident).where(Incident.state == "resolved").order_by(Incident.resolved_at.desc()).limit(limit)
    return list(session.scalars(query))


def for_deploy(session: Session, key: str) -> int | None:
    return session.scalar(select(Incident.id).where(Incident.pipeline_key == key))


def for_blocker(session: Session, blocker_id: int) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.blocker_id == blocker_id).with_for_update())


def open_incidents(session: Session) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.state != "resolved").order_by(Incident.id)))


def for_outage(session: Session, outage_id: int) -> int | None:
    return session.scalar(select(Incident.id).where(Incident.outage_id == outage_id))


def declared_since(session: Session, since: datetime) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.declared_at >= since)))


def mean(values: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=statistics.mean(v.total_seconds() for v in values)) if values else None
