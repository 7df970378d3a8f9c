"""What incidents look like in Slack."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.incidents.models import Followup, Incident, TimelineEntry
from handlers.incidents.policy import RecentDeploy
from slackbot import usertext
from slackbot.durations import format_duration
from slackbot.home import Blocks, section
from slackbot.mrkdwn import capped, escape, fit, truncate

ACK, ESCALATE, RESOLVE = "incident_ack", "incident_escalate", "incident_resolve"
STOP_DEPLOYS = "incident_stop_deploys"
DECLARE_DEPLOY = "incident_declare_deploy"
SHORTCUT = "declare_incident"
SEVERITIES = {"sev1": "critical", "sev2": "error", "sev3": "warning"}
ICONS = {"open": ":rotating_light:", "acknowledged": ":eyes:", "resolved": ":white_check_mark:"}
SUMMARY_LENGTH = 500  # mrkdwn, so that the incident's message fits in a section block
NOTE_LENGTH = 1000
LISTED = 30
TIMELINE_TEXT = 39_000  # within Slack's 40,000 characters of text
BUTTON_VALUE = 2000  # Slack's limit on a button's value


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

    elements = [
        button("Acknowledge", ACK, "primary"),
        button("Escalate", ESCALATE),
        button("Resolve", RESOLVE, "danger"),
    ]
    if incident.blocker_id is None:
        elements.append(button("Stop auto-deploy", STOP_DEPLOYS))
    return {"type": "actions", "block_id": f"incident_{incident.id}", "elements": elements}


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


def links(incident: Incident, blocker_url: str = "") -> str:
    """Where else the incident lives: its channel, the failed pipeline, the blocker and the issue."""
    found = [
        f"Channel: <#{incident.room_channel_id}>"
        if incident.room_channel_id and incident.room_state == "ready"
        else "",
        f"Lead: <@{incident.lead}>" if incident.lead else "",
        f"<{incident.pipeline_url}|Failed pipeline>" if incident.pipeline_url else "",
        f"<{blocker_url}|Auto-deploy stopped (production::blocker)>" if blocker_url else "",
        f"<{incident.issue_url}|Incident issue>" if incident.issue_url else "",
    ]
    return " · ".join(f for f in found if f)


def channel_message(incident: Incident, level_count: int, blocker_url: str = "") -> tuple[str, list[dict[str, Any]]]:
    extra = links(incident, blocker_url)
    text = f"{ICONS[incident.state]} *{title(incident)}*\n{state_line(incident, level_count)}" + (
        f"\n{extra}" if extra else ""
    )
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if incident.state != "resolved":
        blocks.append(buttons(incident))
    return text, blocks


def page(
    incident: Incident, level: int, level_count: int, link: str, by: str = "", note: str = ""
) -> tuple[str, list[dict[str, Any]]]:
    if by:
        text = f":rotating_light: You are paged by <@{by}> for *{title(incident)}*" + (f": {note}" if note else "")
    else:
        text = f":rotating_light: You are paged (level {level + 1} of {level_count}) for *{title(incident)}*"
    if link:
        text += f"\n<{link}|Open it in the status channel>"
    followup = {
        "type": "button",
        "action_id": FOLLOWUP,
        "value": str(incident.id),
        "text": {"type": "plain_text", "text": "Follow-up"},
    }
    actions = buttons(incident)
    actions = {**actions, "elements": [*actions["elements"], followup]}
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, actions]


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


def resolved_listing(incidents: list[Incident]) -> str:
    if not incidents:
        return "No resolved incidents yet."
    lines = [
        f"• #{i.id} {i.severity}: {i.summary} (resolved {i.resolved_at:%Y-%m-%d}): "
        + (f"<{i.issue_url}|incident issue>" if i.issue_url else f"no issue yet ({i.issue_state or 'not filed'})")
        for i in incidents
    ]
    return "\n".join(["*Resolved incidents*", *capped(lines, LISTED, "_and {n} more_")])


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
        + (f", lead <@{i.lead}>" if i.lead else "")
        for i in incidents
    ]
    return section("Open incidents", lines, "No open incidents.")


def room_intro(incident: Incident, status_link: str) -> tuple[str, list[dict[str, Any]]]:
    back = f"\n<{status_link}|The incident in the status channel>" if status_link else ""
    text = (
        f"{ICONS[incident.state]} *{title(incident)}*\nDeclared by <@{incident.declared_by}>."
        f" Updates: `/incident update {incident.id} TEXT`; notes: `/incident note {incident.id} TEXT`;"
        f" follow-ups: `/incident followup {incident.id} TEXT @owner`.{back}"
    )
    followup = {
        "type": "button",
        "action_id": FOLLOWUP,
        "value": str(incident.id),
        "text": {"type": "plain_text", "text": "Follow-up"},
    }
    actions = buttons(incident)
    actions = {**actions, "elements": [*actions["elements"], followup]}
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, actions]


def lead_dm(incident: Incident, by: str) -> str:
    return (
        f":crown: <@{by}> made you the lead of *{title(incident)}*. Post status updates with"
        f" `/incident update {incident.id} TEXT`."
    )


def status_update(incident: Incident, user: str, text: str) -> str:
    return f":loudspeaker: *Status update* on incident #{incident.id} from <@{user}>: {text}"


def update_reminder(incident: Incident, gap: timedelta) -> str:
    return (
        f":hourglass: No status update on *{title(incident)}* for {format_duration(gap)}."
        f" Post one with `/incident update {incident.id} TEXT`."
    )


def issue_failing(incident: Incident, error: str, for_good: bool) -> str:
    if for_good:
        return (
            f":warning: GitLab refused the incident issue for #{incident.id}: {truncate(error, 300)}."
            f" `/incident issue {incident.id}` tries again."
        )
    return (
        f":hourglass: Filing the incident issue for #{incident.id} failed ({truncate(error, 300)})."
        " I keep trying until GitLab answers."
    )


def deploy_line(deploy: RecentDeploy) -> str:
    """A deploy as the timeline and the GitLab issue show it (a bare URL: both link it)."""
    return f"{deploy.name}: {escape(truncate(deploy.title, 120))}, in production at {deploy.at:%H:%M} UTC: {deploy.url}"


def deploys_before(deploys: list[RecentDeploy]) -> str:
    lines = "\n".join(f"• {deploy_line(d)}" for d in deploys)
    return f":package: Production deploys in the 6 hours before this incident:\n{lines}"


FOLLOWUP = "incident_followup"
FOLLOWUP_CALLBACK = "incident_followup_submit"
FOLLOWUP_TEXT = 1000


def followup_line(followup: Followup) -> str:
    issue = usertext.link(followup.issue_url or "", f"#{followup.issue_iid}") if followup.issue_url else "(filing)"
    return f"{issue} {truncate(usertext.slack(followup.text), 300)} (owner <@{followup.owner}>)"


def followup_filed(followup: Followup) -> str:
    return f":memo: Follow-up filed: {followup_line(followup)}"


def followup_state(followup: Followup) -> str:
    if followup.state == "closed":
        return f":white_check_mark: Follow-up done: {followup_line(followup)}"
    return f":arrows_counterclockwise: Follow-up reopened: {followup_line(followup)}"


def followup_owned(followup: Followup, incident: Incident) -> str:
    return f":memo: <@{followup.created_by}> gave you a follow-up of incident #{incident.id}: {followup_line(followup)}"


def followup_reminder(followups: list[Followup]) -> str:
    lines = [
        f":memo: Your open incident follow-up{'s' if len(followups) != 1 else ''} (closing the issue closes it here):"
    ]
    return "\n".join(capped(lines + [f"• {followup_line(f)}" for f in followups], LISTED + 1))


def followup_modal(incident: Incident) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": FOLLOWUP_CALLBACK,
        "private_metadata": str(incident.id),
        "title": {"type": "plain_text", "text": f"Follow-up of #{incident.id}"[:24]},
        "submit": {"type": "plain_text", "text": "File it"},
        "blocks": [
            {
                "type": "input",
                "block_id": "text",
                "label": {"type": "plain_text", "text": "What should be done"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": FOLLOWUP_TEXT,
                },
            },
            {
                "type": "input",
                "block_id": "owner",
                "optional": True,
                "label": {"type": "plain_text", "text": "Owner (you, if nobody)"},
                "element": {"type": "users_select", "action_id": "value"},
            },
        ],
    }
