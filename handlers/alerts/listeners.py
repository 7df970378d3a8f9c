"""Alerts from Slack and from the monitoring tools: ``POST /alerts/<source>`` (authenticated before
its body is read as JSON, stored in the inbox before the 2xx), the inbox handler that records and
shows them, the group's buttons, ``/alerts`` and ``/maintenance``."""

from __future__ import annotations

import hashlib
import hmac
import logging
import shlex
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from handlers.alerts import messages, service, sources
from handlers.alerts.config import AlertsSection, MaintenanceSection
from handlers.alerts.sources import NotAnAlert
from handlers.incidents import api as incidents
from handlers.status import api as status
from slackbot import usertext
from slackbot.access import Rule
from slackbot.commands import CommandCall, UsageError
from slackbot.context import BotContext
from slackbot.durations import parse_duration
from slackbot.edge import Answer, bearer_ok
from slackbot.inbox import InboxEvent, Rejected
from slackbot.interactions import Click
from slackbot.mrkdwn import truncate
from slackbot.payload import json_object
from slackbot.work import Work

log = logging.getLogger(__name__)

INBOX = "alerts"
REDELIVERY_WINDOW = 600  # seconds: the same body again within it is the same delivery
LONGEST_HOLD = timedelta(days=30)
HOLD = Rule("silence alerts and set maintenance windows", "the escalation policy's people", (incidents.ESCALATION,))


# ----- from the monitoring tools ------------------------------------------------------------------


def authenticated(ctx: BotContext, source: str, headers: dict[str, str], body: bytes) -> Answer | None:
    """None when the request may go on; else the answer (404 while the source is not configured)."""
    if source == "sentry":
        secret = ctx.settings.sentry_client_secret
        if not secret:
            return Answer.json(404, {"message": "Sentry alerts are not configured"})
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        given = headers.get("sentry-hook-signature", "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode()):
            log.warning("an alert from sentry with a missing or wrong Sentry-Hook-Signature was refused")
            return Answer.json(401, {"message": "invalid Sentry-Hook-Signature"})
        return None
    token = ctx.settings.alerts_token
    if not token:
        return Answer.json(404, {"message": "alerts are not configured"})
    if not bearer_ok(headers, token):
        log.warning("an alert from %s with a missing or wrong bearer token was refused", source)
        return Answer.json(401, {"message": "invalid bearer token"})
    return None


def receive_hook(ctx: BotContext, source: str, headers: dict[str, str], body: bytes) -> Answer:
    refused = authenticated(ctx, source, headers, body)
    if refused is not None:
        return refused
    if source == "sentry" and headers.get("sentry-hook-resource", "event_alert") != "event_alert":
        return Answer.json(200, {"message": "ignored: only issue alerts (event_alert) are taken"})
    payload = json_object(body)
    if payload is None:
        log.warning("an alert from %s was refused: the body is not a JSON object", source)
        return Answer.json(400, {"message": "body is not a JSON object"})
    try:
        sources.parse(source, payload)
    except NotAnAlert as exc:
        log.warning("an alert from %s was refused: %s", source, exc)
        return Answer.json(400, {"message": str(exc)})
    try:
        stored = ctx.inbox.store(INBOX, source, delivery_key(ctx, source, headers, body), payload, body.decode())
    except Exception:
        log.error("could not store an alert from %s; answering 503 so that it is sent again", source)
        return Answer.json(503, {"message": "try again"})
    return Answer.json(200, {"message": "accepted" if stored is not None else "already received"})


def delivery_key(ctx: BotContext, source: str, headers: dict[str, str], body: bytes) -> str:
    """Sentry names each delivery (``Request-ID``). The others send the same body again when they
    retry, and again when they repeat a firing group hours later (Alertmanager's repeat_interval):
    the same body within ``REDELIVERY_WINDOW`` is taken once, a later repeat is news."""
    if source == "sentry" and headers.get("request-id"):
        return f"alerts:sentry:{headers['request-id'][:100]}"
    window = int(ctx.clock.now().timestamp()) // REDELIVERY_WINDOW
    return f"alerts:{source}:{hashlib.sha256(body).hexdigest()}:{window}"


def on_notification(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    try:
        note = sources.parse(item.kind, item.payload)
    except NotAnAlert as exc:
        raise Rejected(str(exc)) from None
    settings = ctx.config.section(AlertsSection)
    held = service.quiet(work.session, configured_windows(ctx), work.now)
    if note.truncated:
        log.warning("%s left %d alerts out of a notification (its max_alerts)", item.kind, note.truncated)
    for group_id in sorted(service.receive(work, note, settings, ctx.channel(settings.channel), held)):
        service.show(work, group_id, settings, incidents_for(ctx))


# ----- what alerts ask of incidents ----------------------------------------------------------------


def incidents_for(ctx: BotContext) -> service.Incidents:
    def declare(work: Work, summary: str, severity: str) -> int:
        return incidents.declare(ctx, work, summary, severity, "alert")

    def join(work: Work, incident_id: int, text: str) -> bool:
        if not incidents.is_open(work.session, incident_id):
            return False
        incidents.tell(work, incident_id, text)
        return True

    def link(_session: object, incident_id: int) -> str:
        return f"Incident #{incident_id}"

    return service.Incidents(declare, join, link, incidents.is_open)


def configured_windows(ctx: BotContext) -> list[service.Window]:
    """``[[maintenance]]``, placed in the team's timezone."""
    zone = ctx.zone
    return [
        service.Window(w.service, w.start.replace(tzinfo=zone), w.to.replace(tzinfo=zone), w.reason)
        for w in ctx.config.section(MaintenanceSection).windows
    ]


# ----- the group's buttons ------------------------------------------------------------------------


def on_button(ctx: BotContext, work: Work, click: Click) -> str | None:
    group = service.lock_group(work.session, int(click.value)) if click.value.isdigit() else None
    if group is None:
        return "That alert group no longer exists."
    settings = ctx.config.section(AlertsSection)
    if click.action_id == messages.ACK:
        if group.incident_id is not None:
            return incidents.acknowledge(ctx, work, group.incident_id, click.user_id)
        group.seen_by = click.user_id
    elif click.action_id == messages.SILENCE:
        ctx.access.require(HOLD, click.user_id, None, work.session)
        if not group.labels:
            return "This group has no labels to silence it by: use `/alerts silence label=value for 1h`."
        held = service.quiet(work.session, configured_windows(ctx), work.now)
        until = work.now + service.SILENCE_BUTTON
        row, touched = service.silence(work, dict(group.labels), until, "", click.user_id, held)
        for group_id in touched - {group.id}:
            service.show(work, group_id, settings, incidents_for(ctx))
        answer = messages.silenced(row, len(touched))
    else:
        shown = service.shown_alerts(work.session, group.id)
        number = service.attach(work, group, shown, "sev2", incidents_for(ctx))
        answer = f"This alert group is incident #{number}."
    service.show(work, group.id, settings, incidents_for(ctx))
    return answer if click.action_id != messages.ACK else None


# ----- /alerts ------------------------------------------------------------------------------------


def list_firing(ctx: BotContext, call: CommandCall) -> str:
    if call.text.strip():
        raise UsageError(messages.USAGE)
    with ctx.db.reading() as session:
        found = service.firing_groups(session)
        rows = [(g, count, ctx.link(session, g.ref)) for g, count in found]
        held = service.held_back(session)
    return messages.firing_list(rows, held)


def silence_command(ctx: BotContext, call: CommandCall) -> str:
    matchers, length, reason = silence_arguments(call.text)
    with ctx.work() as work:
        held = service.quiet(work.session, configured_windows(ctx), work.now)
        row, touched = service.silence(work, matchers, work.now + length, reason, call.user_id, held)
        for group_id in sorted(touched):
            service.show(work, group_id, ctx.config.section(AlertsSection), incidents_for(ctx))
        return messages.silenced(row, len(touched))


def silence_arguments(text: str) -> tuple[dict[str, str], timedelta, str]:
    """``label=value ... for 2h [reason]``. A command's text is Slack-encoded; matchers compare with
    the tools' plain labels, and the reason is kept as plain text too (shown escaped)."""
    words = usertext.as_plain(text).split()
    if "for" not in words:
        raise UsageError(messages.USAGE)
    at = words.index("for")
    pairs, rest = words[:at], words[at + 1 :]
    if not pairs or not rest or not all("=" in p and not p.startswith("=") for p in pairs):
        raise UsageError(messages.USAGE)
    matchers = dict(p.split("=", 1) for p in pairs)
    try:
        length = parse_duration(rest[0])
    except ValueError:
        raise UsageError(f"`{rest[0]}` is not a length of time: use 30m, 2h or 1d.") from None
    if not timedelta(minutes=1) <= length <= LONGEST_HOLD:
        raise UsageError("A silence lasts from 1m to 30d.")
    return matchers, length, truncate(" ".join(rest[1:]), 500)


def list_silences(ctx: BotContext, _call: CommandCall) -> str:
    with ctx.db.reading() as session:
        return messages.silences_list(service.active_silences(session, ctx.clock.now()), ctx.clock.now())


def unsilence(ctx: BotContext, call: CommandCall) -> str:
    if not call.text.strip().isdigit():
        raise UsageError("Give the silence's number: `/alerts unsilence 12` (`/alerts silences` lists them).")
    with ctx.work() as work:
        row = service.unsilence(work, int(call.text.strip()))
    return f"Silence #{row.id} ended." if row else "There is no active silence with that number."


# ----- /maintenance -------------------------------------------------------------------------------


def maintenance(ctx: BotContext, call: CommandCall) -> str:
    try:
        words = shlex.split(usertext.as_plain(call.text))  # plain text, as a probe's name and a service label are
    except ValueError:
        raise UsageError(messages.MAINTENANCE_USAGE) from None
    if len(words) < 3:
        raise UsageError(messages.MAINTENANCE_USAGE)
    service_name, start, end = words[0], local_time(ctx, words[1]), local_time(ctx, words[2])
    if end <= start or end <= ctx.clock.now():
        raise UsageError("The window must end after it starts, and after now.")
    if end - start > LONGEST_HOLD:
        raise UsageError("A maintenance window lasts 30 days at most.")
    reason = truncate(" ".join(words[3:]), 500)
    with ctx.work() as work:
        row = service.set_window(work, truncate(service_name, 200), start, end, reason, call.user_id)
        return messages.window_set(row)


def local_time(ctx: BotContext, token: str) -> datetime:
    try:
        moment = datetime.fromisoformat(token)
    except ValueError:
        raise UsageError(f"`{token}` is not a date and time: use 2026-12-20T06:00 (team time).") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ctx.zone)


def list_windows(ctx: BotContext, _call: CommandCall) -> str:
    with ctx.db.reading() as session:
        found = service.windows(session, configured_windows(ctx), ctx.clock.now())
    return messages.windows_list([(w.service, w.start, w.end, w.reason, w.id) for w in found])


def cancel_window(ctx: BotContext, call: CommandCall) -> str:
    if not call.text.strip().isdigit():
        raise UsageError("Give the window's number: `/maintenance cancel 3` (`/maintenance list` lists them).")
    with ctx.work() as work:
        row = service.cancel_window(work, int(call.text.strip()))
    return f"Maintenance #{row.id} cancelled." if row else "There is no maintenance window ahead with that number."


def in_maintenance(ctx: BotContext, session: Session, name: str, at: datetime) -> bool:
    """``status.IN_MAINTENANCE``: a probe's service in a window, from the config or from Slack."""
    return any(w.service == name and w.holds(at) for w in service.windows(session, configured_windows(ctx), at))


def register(ctx: BotContext) -> None:
    answer: status.InMaintenance = partial(in_maintenance, ctx)
    ctx.providers.provide(status.IN_MAINTENANCE, answer)
    for source in sources.SOURCES:
        ctx.pages.post(f"/alerts/{source}", partial(receive_hook, ctx, source))
        ctx.inbox.router.on(INBOX, source, partial(on_notification, ctx))
    for action in (messages.ACK, messages.SILENCE, messages.DECLARE):
        ctx.interactions.on_click(action, partial(on_button, ctx))
    alerts = ctx.commands.router("/alerts")
    alerts.add("", partial(list_firing, ctx), "the firing alert groups")
    alerts.add(
        "silence", partial(silence_command, ctx), "silence what matches", "label=value ... for 2h [reason]", HOLD
    )
    alerts.add("silences", partial(list_silences, ctx), "the active silences")
    alerts.add("unsilence", partial(unsilence, ctx), "end a silence", "ID", HOLD)
    windows = ctx.commands.router("/maintenance")
    windows.add("", partial(maintenance, ctx), "set a maintenance window", "SERVICE FROM TO [REASON]", HOLD)
    windows.add("list", partial(list_windows, ctx), "ongoing and upcoming maintenance windows")
    windows.add("cancel", partial(cancel_window, ctx), "cancel a maintenance window", "ID", HOLD)
