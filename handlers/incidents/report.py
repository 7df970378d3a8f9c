"""The incident's written record: the GitLab issue of type ``incident`` filed on resolve, in
GitLab Markdown, with Slack's markup turned into what people saw and every time in UTC."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from handlers.incidents.models import Incident, TimelineEntry
from slackbot import usertext
from slackbot.durations import format_duration
from slackbot.gitlab_client import marker
from slackbot.mrkdwn import USER_MENTION, plain, truncate

TITLE_LIMIT = 255
SPOKEN = ("note", "update")  # timeline entries that are people's words, listed again in full


def issue_marker(incident_id: int, secret: str) -> str:
    """What a filed issue is searched for by, so a retry after an answer that got lost never files
    it twice. It cannot be forged from Slack (``gitlab_client.marker``)."""
    return marker(secret, f"incident-{incident_id}")


def marker_line(incident_id: int, secret: str) -> str:
    """The hidden first line of the description (people's text in it cannot open a comment)."""
    return f"<!-- {issue_marker(incident_id, secret)} -->"


@dataclass(frozen=True)
class Links:
    status: str  # the incident's message in the status channel
    room: str  # its channel, if it had one


def title(incident: Incident) -> str:
    return truncate(f"Incident #{incident.id} ({incident.severity}): {plain(incident.summary)}", TITLE_LIMIT)


def labels(incident: Incident, extra: Sequence[str]) -> list[str]:
    return ["incident", f"severity::{incident.severity.removeprefix('sev')}", *extra]


def description(
    incident: Incident, entries: Sequence[TimelineEntry], names: Mapping[str, str], links: Links, secret: str
) -> str:
    def text(slack_text: str) -> str:
        named = USER_MENTION.sub(lambda m: f"<@{m[1]}|{names.get(m[1], m[1])}>", slack_text)
        return usertext.gitlab(" ".join(plain(named).split())).replace("|", "\\|")

    def who(user: str | None) -> str:
        """A person by their Slack name (people's text too: never a GitLab mention)."""
        return usertext.gitlab(f"@{names.get(user, user)}") if user else "nobody"

    paged = [text(e.text) for e in entries if e.kind == "paged"]
    slack = [
        f"[status channel]({links.status})" if links.status else "",
        f"[incident channel]({links.room})" if links.room else "",
    ]
    lines = [
        marker_line(incident.id, secret),
        f"**Summary:** {text(incident.summary)}",
        f"**Severity:** {incident.severity}",
        f"**Lead:** {who(incident.lead)}",
        f"**Paged:** {'; '.join(paged) or 'nobody'}",
        f"**Declared:** {_utc(incident.declared_at)} by {who(incident.declared_by)}",
        f"**Time to acknowledge:** {_span(incident.declared_at, incident.acked_at)}",
        f"**Time to resolve:** {_span(incident.declared_at, incident.resolved_at)}",
        f"**In Slack:** {' · '.join(s for s in slack if s) or 'no link'}",
    ]
    if incident.pipeline_url:
        lines.append(f"**Failed pipeline:** {incident.pipeline_url}")
    lines += ["", "## Timeline (UTC)", "", "| time | what | who | detail |", "|---|---|---|---|"]
    lines += [f"| {_utc(e.at)} | {e.kind} | {who(e.actor) if e.actor else ''} | {text(e.text)} |" for e in entries]
    spoken = [f"- {_utc(e.at)} {who(e.actor)} ({e.kind}): {text(e.text)}" for e in entries if e.kind in SPOKEN]
    lines += ["", "## Notes and status updates", "", *(spoken or ["None."])]
    return "\n".join(lines)


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _span(start: datetime, end: datetime | None) -> str:
    return "n/a" if end is None else format_duration(end - start)
