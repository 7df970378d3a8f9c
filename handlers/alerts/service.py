"""Alerts' state changes, and what they decide to send: one message per group, posted once and
updated in place (updates of one message coalesce in the outbox, so a flapping alert costs one
pending update, never a new post); a reply when a group resolves; one incident per service for
groups whose route declares; silences and maintenance windows that hold alerts back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.alerts import messages
from handlers.alerts.config import SEVERITIES, AlertsSection
from handlers.alerts.models import Alert, AlertGroup, AlertService, AlertSilence, MaintenanceWindow
from handlers.alerts.sources import Incoming, Notification
from slackbot.db import insert_for
from slackbot.outbox import Priority
from slackbot.work import Work

SILENCE_BUTTON = timedelta(hours=1)
FLAP_QUIET = timedelta(hours=1)

Declare = Callable[[Work, str, str], int]  # (work, summary, severity) -> the incident's number
Join = Callable[[Work, int, str], bool]  # (work, incident, text): tells an open incident; False if it is closed
IncidentLink = Callable[[Session, int], str]


@dataclass(frozen=True)
class Window:
    service: str
    start: datetime
    end: datetime
    reason: str = ""
    id: int | None = None  # None: from the config

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Quiet:
    """What holds alerts back at a moment: active silences, and services in maintenance."""

    silences: Sequence[AlertSilence]
    services: frozenset[str]

    def why(self, labels: Mapping[str, str]) -> str:
        if labels.get("service", "") in self.services:
            return "maintenance"
        if any(matches(s.matchers, labels) for s in self.silences):
            return "silenced"
        return ""


def matches(matchers: Mapping[str, object], labels: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in matchers.items())


# ----- reading ------------------------------------------------------------------------------------


def windows(session: Session, configured: Iterable[Window], now: datetime) -> list[Window]:
    """Ongoing and upcoming maintenance, from the config and from Slack, soonest first."""
    rows = session.scalars(
        select(MaintenanceWindow).where(MaintenanceWindow.ends_at > now, MaintenanceWindow.cancelled.is_(False))
    )
    found = [Window(r.service, r.starts_at, r.ends_at, r.reason, r.id) for r in rows]
    found += [w for w in configured if w.end > now]
    return sorted(found, key=lambda w: (w.start, w.service))


def quiet(session: Session, configured: Iterable[Window], now: datetime) -> Quiet:
    silences = list(
        session.scalars(select(AlertSilence).where(AlertSilence.starts_at <= now, AlertSilence.ends_at > now))
    )
    return Quiet(silences, frozenset(w.service for w in windows(session, configured, now) if w.holds(now)))


def firing_groups(session: Session) -> list[tuple[AlertGroup, int]]:
    groups = list(session.scalars(select(AlertGroup).where(AlertGroup.state == "firing").order_by(AlertGroup.id)))
    return [(g, len(shown_alerts(session, g.id))) for g in groups]


def held_back(session: Session) -> list[tuple[Alert, AlertGroup]]:
    """Firing alerts held back by a silence or a maintenance window, with their groups."""
    query = select(Alert, AlertGroup).join(AlertGroup, AlertGroup.id == Alert.group_id)
    query = query.where(Alert.firing.is_(True), Alert.hidden != "").order_by(Alert.group_id, Alert.id)
    return [(alert, group) for alert, group in session.execute(query.limit(200))]


def shown_alerts(session: Session, group_id: int) -> list[Alert]:
    query = select(Alert).where(Alert.group_id == group_id, Alert.firing.is_(True), Alert.hidden == "")
    return list(session.scalars(query.order_by(Alert.starts_at, Alert.id)))


# ----- receiving ----------------------------------------------------------------------------------


def receive(work: Work, note: Notification, settings: AlertsSection, channel: str, held: Quiet) -> set[int]:
    """Record what a notification says of each alert; the groups it touched (to be shown)."""
    touched: set[int] = set()
    for incoming in note.alerts:
        identity = f"{note.source}:{incoming.fingerprint}"[:255]
        alert = work.session.scalar(select(Alert).where(Alert.identity == identity).with_for_update())
        if alert is None and not incoming.firing:
            continue  # the end of an alert never seen: nothing to show
        if alert is None:
            group = _group_for(work, note, incoming, settings, channel)
            alert = _new_alert(work, identity, group.id, incoming, held)
        else:
            _heard(alert, incoming, work.now, held)
        touched.add(alert.group_id)
    return touched


def _new_alert(work: Work, identity: str, group_id: int, incoming: Incoming, held: Quiet) -> Alert:
    work.session.execute(
        insert_for(work.session, Alert)
        .values(
            identity=identity,
            group_id=group_id,
            labels=incoming.labels,
            summary=incoming.summary,
            links=incoming.links,
            firing=True,
            hidden=held.why(incoming.labels),
            starts_at=incoming.starts_at or work.now,
            last_seen_at=work.now,
            resolved_at=None,
            changes=0,
        )
        .on_conflict_do_nothing(index_elements=["identity"])
    )
    alert = work.session.scalar(select(Alert).where(Alert.identity == identity).with_for_update())
    assert alert is not None
    return alert


def _heard(alert: Alert, incoming: Incoming, now: datetime, held: Quiet) -> None:
    if alert.firing != incoming.firing:
        alert.changes += 1
    alert.firing, alert.last_seen_at = incoming.firing, now
    alert.labels, alert.summary, alert.links = incoming.labels, incoming.summary, incoming.links
    if incoming.firing:
        alert.hidden, alert.resolved_at = held.why(incoming.labels), None
    else:
        alert.resolved_at = incoming.ends_at or now


def group_key(note: Notification, labels: Mapping[str, str], group_by: Sequence[str]) -> str:
    """Alertmanager's and Grafana's own group, kept; else the ``group_by`` labels' values."""
    named = note.group_key or json.dumps([(k, labels.get(k, "")) for k in group_by])
    return f"{note.source}:" + hashlib.sha256(named.encode()).hexdigest()[:40]


def _group_for(work: Work, note: Notification, incoming: Incoming, settings: AlertsSection, channel: str) -> AlertGroup:
    key = group_key(note, incoming.labels, settings.group_by)
    named = {k: incoming.labels[k] for k in settings.group_by if incoming.labels.get(k)}
    work.session.execute(
        insert_for(work.session, AlertGroup)
        .values(
            key=key,
            source=note.source,
            labels=named,
            service=incoming.labels.get("service", ""),
            channel=channel,
            state="quiet",
            posted=False,
            updated_at=work.now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    group = work.session.scalar(select(AlertGroup).where(AlertGroup.key == key))
    assert group is not None
    return group


# ----- showing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incidents:
    """How alert groups reach incidents (answered by the incidents capability)."""

    declare: Declare
    join: Join
    link: IncidentLink
    is_open: Callable[[Session, int], bool]


def show(work: Work, group_id: int, settings: AlertsSection, incidents: Incidents) -> None:
    """Bring the group's message in line with its alerts: post it the first time one is shown,
    update it after, reply and turn it green when the last one resolves; a group that starts firing
    follows its route (declare, or join its service's open incident)."""
    group = work.session.get(AlertGroup, group_id, with_for_update=True)
    if group is None:
        return
    shown = shown_alerts(work.session, group.id)
    started = bool(shown) and group.state != "firing"
    if started:
        group.state, group.resolved_at, group.firing_since, group.seen_by = "firing", None, work.now, None
    elif not shown and group.state in ("firing", "held"):
        held = work.session.scalar(
            select(Alert.id).where(Alert.group_id == group.id, Alert.firing.is_(True), Alert.hidden != "").limit(1)
        )
        group.state = "held" if held is not None else "resolved"
        group.resolved_at = None if held is not None else work.now
    elif not group.posted:
        return  # held back from the start (silenced, in maintenance): recorded, never shown
    group.updated_at = work.now
    if started:
        _route(work, group, shown, settings, incidents)
    _render(work, group, shown, incidents)
    if group.state == "resolved" and not started and _reply_due(group, work.now):
        group.replied_at = work.now
        work.slack.post(group.channel, messages.resolved_reply(group), thread_ref=group.ref)


def _reply_due(group: AlertGroup, now: datetime) -> bool:
    """A group that resolves gets a reply; one that flaps gets one an hour at most (its message
    still shows every change)."""
    return group.replied_at is None or now - group.replied_at >= FLAP_QUIET


def _render(work: Work, group: AlertGroup, shown: Sequence[Alert], incidents: Incidents) -> None:
    link = incidents.link(work.session, group.incident_id) if group.incident_id is not None else ""
    text, blocks = messages.group_message(group, shown, work.now, link)
    if group.posted:
        work.slack.update(group.ref, text, blocks, repost=True)
    else:
        work.slack.post(group.channel, text, blocks, ref=group.ref, priority=Priority.URGENT)
        group.posted = True


def _route(
    work: Work, group: AlertGroup, shown: Sequence[Alert], settings: AlertsSection, incidents: Incidents
) -> None:
    if group.incident_id is not None and incidents.is_open(work.session, group.incident_id):
        return
    group.incident_id = None
    route = next((r for a in shown if (r := settings.route_for(a.labels)) is not None), None)
    if route is None or not route.declare:
        return
    attach(work, group, shown, SEVERITIES[route.severity], incidents)


def attach(work: Work, group: AlertGroup, shown: Sequence[Alert], severity: str, incidents: Incidents) -> int:
    """The incident of the group's service if one is open (the group joins it: no second page),
    else a new one. Per service, under the row lock of ``alert_services``: a storm opens one."""
    service = group.service or f"group:{group.id}"
    work.session.execute(
        insert_for(work.session, AlertService)
        .values(service=service)
        .on_conflict_do_nothing(index_elements=["service"])
    )
    shared = work.session.get(AlertService, service, with_for_update=True)
    assert shared is not None
    if shared.incident_id is not None and incidents.join(work, shared.incident_id, messages.joined(group)):
        group.incident_id = shared.incident_id
        return shared.incident_id
    shared.incident_id = group.incident_id = incidents.declare(work, messages.incident_summary(group, shown), severity)
    return shared.incident_id


# ----- time passing -------------------------------------------------------------------------------


def quiet_too_long(session: Session, now: datetime, resolve_after: timedelta) -> list[int]:
    """Firing alerts not heard of for ``resolve_after``."""
    query = select(Alert.id).where(Alert.firing.is_(True), Alert.last_seen_at < now - resolve_after)
    return list(session.scalars(query.limit(500)))


def resolve_quiet(work: Work, alert_ids: Sequence[int], resolve_after: timedelta) -> set[int]:
    touched: set[int] = set()
    for alert_id in alert_ids:
        alert = work.session.get(Alert, alert_id, with_for_update=True)
        if alert is not None and alert.firing and alert.last_seen_at < work.now - resolve_after:
            alert.firing, alert.resolved_at, alert.changes = False, work.now, alert.changes + 1
            touched.add(alert.group_id)
    return touched


def releasable(session: Session, held: Quiet) -> list[int]:
    """Firing alerts held back whose silence or maintenance window has ended (few: read every tick)."""
    query = select(Alert.id, Alert.labels).where(Alert.firing.is_(True), Alert.hidden != "")
    return [alert_id for alert_id, labels in session.execute(query) if not held.why(labels)]


def reconsider(work: Work, alert_ids: Sequence[int], held: Quiet) -> set[int]:
    """Held-back firing alerts whose silence or maintenance ended are shown (posted then)."""
    touched: set[int] = set()
    for alert_id in alert_ids:
        alert = work.session.get(Alert, alert_id, with_for_update=True)
        if alert is not None and alert.firing and alert.hidden and not held.why(alert.labels):
            alert.hidden = ""
            touched.add(alert.group_id)
    return touched


# ----- silences and maintenance -------------------------------------------------------------------


def silence(
    work: Work, matchers: dict[str, str], until: datetime, reason: str, by: str, held: Quiet
) -> tuple[AlertSilence, set[int]]:
    """A silence from now; the firing alerts it matches are hidden at once (their groups updated)."""
    row = AlertSilence(matchers=matchers, starts_at=work.now, ends_at=until, reason=reason, created_by=by)
    work.session.add(row)
    work.session.flush()
    return row, hide_matching(work, lambda labels: matches(matchers, labels), "silenced")


def hide_matching(work: Work, held_by: Callable[[Mapping[str, str]], bool], why: str) -> set[int]:
    touched: set[int] = set()
    for alert in work.session.scalars(
        select(Alert).where(Alert.firing.is_(True), Alert.hidden == "").with_for_update()
    ):
        if held_by(alert.labels):
            alert.hidden = why
            touched.add(alert.group_id)
    return touched


def unsilence(work: Work, silence_id: int) -> AlertSilence | None:
    row = work.session.get(AlertSilence, silence_id, with_for_update=True)
    if row is None or row.ends_at <= work.now:
        return None
    row.ends_at = work.now
    return row


def active_silences(session: Session, now: datetime) -> list[AlertSilence]:
    query = select(AlertSilence).where(AlertSilence.ends_at > now)
    return list(session.scalars(query.order_by(AlertSilence.ends_at)))


def set_window(work: Work, service: str, start: datetime, end: datetime, reason: str, by: str) -> MaintenanceWindow:
    row = MaintenanceWindow(
        service=service, starts_at=start, ends_at=end, reason=reason, created_by=by, cancelled=False
    )
    work.session.add(row)
    work.session.flush()
    return row


def cancel_window(work: Work, window_id: int) -> MaintenanceWindow | None:
    row = work.session.get(MaintenanceWindow, window_id, with_for_update=True)
    if row is None or row.cancelled or row.ends_at <= work.now:
        return None
    row.cancelled = True
    row.ends_at = max(work.now, row.starts_at)
    return row


def lock_group(session: Session, group_id: int) -> AlertGroup | None:
    return session.get(AlertGroup, group_id, with_for_update=True)
