"""What status alerts say in the status channel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handlers.status.config import Probe
from handlers.status.events import Addition
from handlers.status.models import ProbeOutage, ProbeState
from handlers.status.pipelines import MAX_JOBS_LISTED, Job, PipelineEvent
from slackbot.durations import format_duration
from slackbot.mrkdwn import date_token, escape, label, truncate

ERROR_LENGTH = 500
COMMIT_TITLE = 200


def alert(outage: ProbeOutage, ended: bool = False) -> str:
    name, url = escape(outage.probe), escape(outage.url)
    if ended and outage.ended_at is not None:
        lasted = format_duration(outage.ended_at - outage.started_at)
        return (
            f":large_green_circle: *{name} recovered* after {lasted}"
            f" (down since {date_token(outage.started_at)}, {outage.failures} failed checks)\n{url}"
        )
    return (
        f":red_circle: *{name} is down*\n{url}\n"
        f"Error: {escape(truncate(outage.last_error, ERROR_LENGTH))}\n"
        f"Since: {date_token(outage.started_at)} ({outage.failures} failed checks in a row)"
    )


def recovery(outage: ProbeOutage) -> str:
    assert outage.ended_at is not None
    return f":white_check_mark: Recovered. The outage lasted {format_duration(outage.ended_at - outage.started_at)}."


def certificate_warning(probe: Probe, expires: datetime, days_left: int) -> str:
    days = "less than a day" if days_left < 1 else f"{days_left} day{'s' if days_left != 1 else ''}"
    return (
        f":warning: The TLS certificate of *{escape(probe.name)}* ({escape(probe.url)}) expires in {days}, "
        f"on {date_token(expires)}."
    )


def probe_line(probe: Probe, state: ProbeState | None, now: datetime) -> str:
    name = escape(probe.name)
    if state is None or state.last_checked_at is None:
        return f":white_circle: *{name}*: not checked yet ({escape(probe.url)})"
    if state.last_ok:
        icon, condition = ":large_green_circle:", "up"
    else:
        since = state.failing_since or state.last_checked_at
        icon = ":red_circle:"
        error = escape(truncate(state.last_error, ERROR_LENGTH))
        condition = f"failing for {format_duration(now - since)} ({state.consecutive_failures}x: {error})"
    latency = f", {state.last_latency_ms} ms" if state.last_latency_ms is not None else ""
    line = f"{icon} *{name}*: {condition}; last check {format_duration(now - state.last_checked_at)} ago{latency}"
    if state.cert_expires_at is not None:
        line += f"; certificate expires in {format_duration(state.cert_expires_at - now)}"
    return line


def status(lines: list[str]) -> str:
    return "\n".join(["*Health probes*", *lines]) if lines else "No health probes are configured."


def _jobs(failed: list[Job]) -> str:
    by_stage: dict[str, list[str]] = {}
    for job in failed[:MAX_JOBS_LISTED]:
        by_stage.setdefault(escape(job.stage or "?"), []).append(f"`{escape(job.name)}`")
    listed = "; ".join(f"*{stage}*: {', '.join(names)}" for stage, names in by_stage.items())
    more = len(failed) - MAX_JOBS_LISTED
    return listed + (f" and {more} more" if more > 0 else "")


def pipeline_failed(
    event: PipelineEvent, failed: list[Job], addition: Addition | None = None
) -> tuple[str, list[dict[str, Any]] | None]:
    """The failure's text, with what another capability added (a line; a button, in blocks)."""
    text = _pipeline_failed_text(event, failed)
    if addition is not None and addition.line:
        text += "\n" + addition.line
    if addition is None or addition.button is None:
        return text, None
    button = addition.button
    element = {
        "type": "button",
        "action_id": button.action_id,
        "value": button.value,
        "text": {"type": "plain_text", "text": button.text},
    }
    if button.style:
        element["style"] = button.style
    actions = {"type": "actions", "block_id": f"pipeline_{button.action_id}", "elements": [element]}
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, actions]


def _pipeline_failed_text(event: PipelineEvent, failed: list[Job]) -> str:
    scheduled = " (scheduled)" if event.source == "schedule" else ""
    lines = [
        f":x: *Pipeline failed*{scheduled} in <{escape(event.project_url)}|{escape(event.project)}> on "
        f"`{escape(event.ref)}`: <{escape(event.url)}|pipeline #{event.pipeline_id}>"
    ]
    if failed:
        lines.append(f"Failed jobs: {_jobs(failed)}")
    title = label(escape(event.commit_title), COMMIT_TITLE)
    commit = f"<{escape(event.commit_url)}|{title}>" if event.commit_url else title
    if commit:
        lines.append(f"Commit: {commit}" + (f" by {escape(event.author)}" if event.author else ""))
    if event.duration_s is not None:
        lines.append(f"Duration: {format_duration(timedelta(seconds=event.duration_s))}")
    return "\n".join(lines)


def pipeline_fixed(event: PipelineEvent) -> str:
    return (
        f":white_check_mark: Fixed: <{escape(event.url)}|pipeline #{event.pipeline_id}> "
        f"on `{escape(event.ref)}` passed."
    )
