"""What alerts say in Slack: one message per group (pure Block Kit), the reply when a group
resolves, and the answers of ``/alerts`` and ``/maintenance``. A monitoring tool's text is data:
shown through ``slackbot.usertext``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from handlers.alerts.models import Alert, AlertGroup, AlertSilence, MaintenanceWindow
from slackbot import usertext
from slackbot.durations import format_duration
from slackbot.mrkdwn import date_token, fit, truncate

ACK, SILENCE, DECLARE = "alert_ack", "alert_silence", "alert_declare"
SHOWN = 5  # alerts listed in a group's message; the rest are counted
LINKS = (
    ("generator", "source"),
    ("dashboard", "dashboard"),
    ("panel", "panel"),
    ("runbook", "runbook"),
    ("silence", "silence there"),
)

USAGE = (
    "`/alerts`: the firing groups. `/alerts silence label=value [label=value ...] for 2h [reason]`: "
    "silence what matches (one alert of a group too). `/alerts silences`, `/alerts unsilence ID`."
)
MAINTENANCE_USAGE = (
    "`/maintenance SERVICE FROM TO [REASON]` (team time, `2026-12-20T06:00`; a service's name with "
    "spaces in quotes), `/maintenance list`, `/maintenance cancel ID`."
)


def title(group: AlertGroup) -> str:
    named = [group.labels.get("alertname", ""), group.labels.get("service", "")]
    shown = " · ".join(usertext.raw(truncate(n, 150)) for n in named if n)
    return shown or usertext.raw(", ".join(f"{k}={v}" for k, v in sorted(group.labels.items()))[:150]) or "alerts"


def alert_line(alert: Alert) -> str:
    links = [usertext.link(alert.links.get(key, ""), label) for key, label in LINKS]
    shown_links = " · ".join(link for link in links if link)
    summary = usertext.raw(truncate(alert.summary or alert.labels.get("alertname", ""), 300))
    return f"• {summary}" + (f" ({shown_links})" if shown_links else "")


def group_message(
    group: AlertGroup, firing: Sequence[Alert], now: datetime, incident_link: str = ""
) -> tuple[str, list[dict[str, Any]]]:
    """The group's one message: red with its firing alerts and buttons, or green once resolved."""
    name = title(group)
    if group.state == "resolved" and group.resolved_at is not None:
        lasted = format_duration(group.resolved_at - (group.firing_since or group.resolved_at))
        text = f":large_green_circle: *{name}*: resolved after {lasted}"
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if group.state == "held":
        text = f":mute: *{name}*: held back (silenced, or in a maintenance window): `/alerts` lists it"
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    since = f" since {date_token(group.firing_since)}" if group.firing_since else ""
    text = f":red_circle: *{name}*: {len(firing)} firing{since}"
    lines = [alert_line(a) for a in firing]
    body = fit(lines[:SHOWN] + ([f"_and {len(lines) - SHOWN} more_"] if len(lines) > SHOWN else []), 2500)
    context = []
    if incident_link:
        context.append(incident_link)
    elif group.seen_by:
        context.append(f"Seen by <@{group.seen_by}>")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"{text}\n{body}"}}]
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]})
    buttons = [("Acknowledge", ACK, "primary"), ("Silence 1h", SILENCE, ""), ("Declare incident", DECLARE, "danger")]
    if group.incident_id is not None:
        buttons = [b for b in buttons if b[1] != DECLARE]
    blocks.append(
        {
            "type": "actions",
            "block_id": f"alert_group_{group.id}",
            "elements": [_button(label, action, str(group.id), style) for label, action, style in buttons],
        }
    )
    return text, blocks


def _button(label: str, action: str, value: str, style: str) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action,
        "value": value,
        "text": {"type": "plain_text", "text": label},
    }
    if style:
        button["style"] = style
    return button


def resolved_reply(group: AlertGroup) -> str:
    lasted = format_duration((group.resolved_at or group.updated_at) - (group.firing_since or group.updated_at))
    return f":large_green_circle: Resolved: it lasted {lasted}."


def incident_summary(group: AlertGroup, firing: Sequence[Alert]) -> str:
    first = firing[0].summary if firing else ""
    return truncate(f"{title(group)}: {usertext.raw(first)}" if first else title(group), 150)


def joined(group: AlertGroup) -> str:
    return f":link: The alert group *{title(group)}* joined this incident: it pages no one again."


def firing_list(groups: Sequence[tuple[AlertGroup, int, str]], held: Sequence[tuple[Alert, AlertGroup]]) -> str:
    held_lines = [f"• {title(g)}: {alert_line(a)[2:]} ({a.hidden})" for a, g in held]
    held_text = "\n*Held back (recorded, not posted)*\n" + fit(held_lines, 1200) if held_lines else ""
    if not groups:
        return "No alert group is firing." + held_text
    lines = [
        f"• {title(g)}: {count} firing since {date_token(g.firing_since or g.updated_at)} {link}"
        for g, count, link in groups
    ]
    return "*Firing alert groups*\n" + fit(lines, 1600) + held_text


def matchers_text(matchers: dict[str, Any]) -> str:
    return " ".join(f"`{usertext.raw(k)}={usertext.raw(str(v))}`" for k, v in sorted(matchers.items()))


def silences_list(silences: Sequence[AlertSilence], now: datetime) -> str:
    if not silences:
        return "No silence is active."
    lines = [
        f"• #{s.id} {matchers_text(s.matchers)} until {date_token(s.ends_at)} by <@{s.created_by}>"
        + (f": {usertext.raw(truncate(s.reason, 200))}" if s.reason else "")
        for s in silences
    ]
    return "*Active silences*\n" + fit(lines, 2800)


def silenced(silence: AlertSilence, count: int) -> str:
    held = f" It holds back {count} firing alert(s) now." if count else ""
    return f"Silence #{silence.id} on {matchers_text(silence.matchers)} until {date_token(silence.ends_at)}.{held}"


def windows_list(windows: Sequence[tuple[str, datetime, datetime, str, int | None]]) -> str:
    if not windows:
        return "No maintenance window is ongoing or ahead."
    lines = [
        f"• {'#' + str(wid) if wid else '(config)'} {usertext.raw(service)}: {date_token(start)} to {date_token(end)}"
        + (f": {usertext.raw(truncate(reason, 200))}" if reason else "")
        for service, start, end, reason, wid in windows
    ]
    return "*Maintenance windows*\n" + fit(lines, 2800)


def window_set(window: MaintenanceWindow) -> str:
    return (
        f"Maintenance #{window.id} for {usertext.raw(window.service)} from {date_token(window.starts_at)} to "
        f"{date_token(window.ends_at)}: its probes and alerts neither alert nor page then."
    )
