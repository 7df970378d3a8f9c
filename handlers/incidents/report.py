"""The incident's written record: the GitLab issue of type ``incident`` filed on resolve, in
GitLab Markdown, with Slack's markup turned into what people saw and every time in UTC."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from handlers.incidents.models import Followup, Incident, TimelineEntry
from slackbot import usertext
from slackbot.durations import format_duration
from slackbot.mrkdwn import USER_MENTION, plain, truncate

TITLE_LIMIT = 255
SPOKEN = ("note", "update")  # timeline entries that are people's words, listed again in full


def issue_key(incident_id: int) -> str:
    """What the filed issue's hidden marker names (``gitlab_client.create_issue_once``), so a retry
    after an answer that got lost never files it twice; it cannot be forged from Slack."""
    return f"incident-{incident_id}"


@dataclass(frozen=True)
class Links:
    status: str  # the incident's message in the status channel
    room: str  # its channel, if it had one


def title(incident: Incident) -> str:
    return truncate(f"Incident #{incident.id} ({incident.severity}): {plain(incident.summary)}", TITLE_LIMIT)


def labels(incident: Incident, extra: Sequence[str]) -> list[str]:
    return ["incident", f"severity::{incident.severity.removeprefix('sev')}", *extra]


def description(
    incident: Incident,
    entries: Sequence[TimelineEntry],
    names: Mapping[str, str],
    links: Links,
    followups: Sequence[Followup] = (),
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
    listed = [
        f"- [{'x' if f.state == 'closed' else ' '}] {text(f.text)} ({who(f.owner)}"
        + (f", {f.issue_url})" if f.issue_url else ")")
        for f in followups
    ]
    lines += ["", "## Follow-ups", "", *(listed or ["None yet: `/incident followup` in Slack files one."])]
    return "\n".join(lines)


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _span(start: datetime, end: datetime | None) -> str:
    return "n/a" if end is None else format_duration(end - start)


def followup_title(incident: Incident, followup: Followup) -> str:
    return truncate(f"Follow-up of incident #{incident.id}: {' '.join(plain(followup.text).split())}", TITLE_LIMIT)


def followup_description(incident: Incident, followup: Followup, names: Mapping[str, str], status_link: str) -> str:
    """People's text made inert for GitLab; the incident's issue and its Slack message linked."""
    where = [
        f"[incident issue]({incident.issue_url})" if incident.issue_url else "",
        f"[in Slack]({status_link})" if status_link else "",
    ]
    summary = usertext.gitlab(" ".join(plain(incident.summary).split()))
    return "\n".join(
        [
            f"**What:** {usertext.gitlab(plain(followup.text))}",
            f"**Incident:** #{incident.id} ({incident.severity}): {summary}"
            + (f" · {' · '.join(w for w in where if w)}" if any(where) else ""),
            f"**Owner:** {usertext.gitlab(names.get(followup.owner, followup.owner))}",
            f"**Asked by:** {usertext.gitlab(names.get(followup.created_by, followup.created_by))} in Slack,"
            f" {_utc(followup.created_at)}",
            "",
            "Closing this issue closes the follow-up in Slack.",
        ]
    )
