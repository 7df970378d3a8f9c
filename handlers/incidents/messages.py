"""What incidents look like in Slack."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.incidents.models import Incident, TimelineEntry
from slackbot.durations import format_duration
from slackbot.home import Blocks, section
from slackbot.mrkdwn import capped, fit

ACK, ESCALATE, RESOLVE = "incident_ack", "incident_escalate", "incident_resolve"
SHORTCUT = "declare_incident"
SEVERITIES = {"sev1": "critical", "sev2": "error", "sev3": "warning"}
ICONS = {"open": ":rotating_light:", "acknowledged": ":eyes:", "resolved": ":white_check_mark:"}
SUMMARY_LENGTH = 500  # mrkdwn, so that the incident's message fits in a section block
NOTE_LENGTH = 1000
LISTED = 30
TIMELINE_TEXT = 39_000  # within Slack's 40,000 characters of text


def buttons(incident: Incident) -> dict[str, Any]:
    def button(text: str, action: str, style: str | None = None) -> dict[str, Any]:
        element: dict[str, Any] = {
            "type": "button",
            "action_id": action,
            "value": str(incident.id),
            "text": {"type": "plain_text", "text": text},
        }
        if style:
            element["style"] = style
        return element

    return {
        "type": "actions",
        "block_id": f"incident_{incident.id}",
        "elements": [
            button("Acknowledge", ACK, "primary"),
            button("Escalate", ESCALATE),
            button("Resolve", RESOLVE, "danger"),
        ],
    }


def title(incident: Incident) -> str:
    return f"Incident #{incident.id} ({incident.severity}): {incident.summary}"


def state_line(incident: Incident, level_count: int) -> str:
    if incident.state == "resolved":
        return f"Resolved by <@{incident.resolved_by}>"
    if incident.state == "acknowledged":
        return f"Acknowledged by <@{incident.acked_by}>"
    if incident.escalation_stopped:
        return "Open: escalation stopped, nobody acknowledged"
    if incident.paged_level is None:
        return "Open: nobody to page (no escalation levels configured)" if level_count == 0 else "Open"
    return f"Open: paged level {incident.paged_level + 1} of {level_count}"


def channel_message(incident: Incident, level_count: int) -> tuple[str, list[dict[str, Any]]]:
    text = f"{ICONS[incident.state]} *{title(incident)}*\n{state_line(incident, level_count)}"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if incident.state != "resolved":
        blocks.append(buttons(incident))
    return text, blocks


def page(incident: Incident, level: int, level_count: int, link: str) -> tuple[str, list[dict[str, Any]]]:
    text = f":rotating_light: You are paged (level {level + 1} of {level_count}) for *{title(incident)}*"
    if link:
        text += f"\n<{link}|Open it in the status channel>"
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, buttons(incident)]


def page_closed(incident: Incident) -> str:
    return f"{ICONS[incident.state]} *{title(incident)}*\n{state_line(incident, 0)}: no action needed from you."


def usergroup_ping(mention: str, incident: Incident) -> str:
    return f"{mention} please help with *{title(incident)}*: nobody has acknowledged it yet."


def stopped(incident: Incident) -> str:
    return (
        f":warning: Escalation of incident #{incident.id} stopped: nobody acknowledged after "
        f"{incident.rounds + 1} round{'s' if incident.rounds else ''} of the policy. It is still open."
    )


def timeline(incident: Incident, entries: list[TimelineEntry], zone: ZoneInfo) -> str:
    lines = [f"*Timeline of incident #{incident.id}*"]
    steps = []
    for entry in entries:
        actor = f" by <@{entry.actor}>" if entry.actor else ""
        detail = f": {entry.text}" if entry.text else ""
        steps.append(f"`{entry.at.astimezone(zone):%H:%M}` {entry.kind}{actor}{detail}")
    totals = (
        f"Time to acknowledge: {_span(incident.declared_at, incident.acked_at)}. "
        f"Time to resolve: {_span(incident.declared_at, incident.resolved_at)}."
    )
    budget = TIMELINE_TEXT - len(lines[0]) - len(totals) - 2
    return "\n".join([*lines, fit(steps, budget, "_and {n} more steps_"), totals])


def _span(start: datetime, end: datetime | None) -> str:
    return "n/a" if end is None else format_duration(end - start)


def listing(incidents: list[Incident], now: datetime, link: dict[int, str]) -> str:
    if not incidents:
        return "No open incidents."
    lines = []
    for incident in incidents:
        where = f" <{link[incident.id]}|view>" if link.get(incident.id) else ""
        lines.append(
            f"• #{incident.id} {incident.severity} *{incident.state}*: {incident.summary} "
            f"({format_duration(now - incident.declared_at)} ago){where}"
        )
    return "\n".join(["*Open incidents*", *capped(lines, LISTED, "_and {n} more open incidents_")])


def stats(weeks: int, count: int, mtta: timedelta | None, mttr: timedelta | None, resolved: int) -> str:
    def show(value: timedelta | None) -> str:
        return "n/a" if value is None else format_duration(value)

    return (
        f"*Incidents, last {weeks} week{'s' if weeks != 1 else ''}*: {count} declared, {resolved} resolved. "
        f"MTTA {show(mtta)}, MTTR {show(mttr)}."
    )


def home_section(incidents: list[Incident], now: datetime) -> Blocks:
    lines = [
        f"• #{i.id} {i.severity} *{i.state}*: {i.summary} ({format_duration(now - i.declared_at)} ago)"
        for i in incidents
    ]
    return section("Open incidents", lines, "No open incidents.")
