"""What status alerts say in the status channel."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.status.config import Probe
from handlers.status.models import ProbeOutage, ProbeState
from handlers.status.pipelines import MAX_JOBS_LISTED, Job, PipelineEvent
from slackbot.durations import format_duration


def when(moment: datetime) -> str:
    """A Slack date token: each reader sees it in their own timezone."""
    stamp = int(moment.timestamp())
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def alert(outage: ProbeOutage, ended: bool = False) -> str:
    if ended and outage.ended_at is not None:
        lasted = format_duration(outage.ended_at - outage.started_at)
        return (
            f":large_green_circle: *{outage.probe} recovered* after {lasted}"
            f" (down since {when(outage.started_at)}, {outage.failures} failed checks)\n{outage.url}"
        )
    return (
        f":red_circle: *{outage.probe} is down*\n{outage.url}\n"
        f"Error: {outage.last_error}\nSince: {when(outage.started_at)} ({outage.failures} failed checks in a row)"
    )


def recovery(outage: ProbeOutage) -> str:
    assert outage.ended_at is not None
    return f":white_check_mark: Recovered. The outage lasted {format_duration(outage.ended_at - outage.started_at)}."


def certificate_warning(probe: Probe, expires: datetime, days_left: int) -> str:
    days = "less than a day" if days_left < 1 else f"{days_left} day{'s' if days_left != 1 else ''}"
    return f":warning: The TLS certificate of *{probe.name}* ({probe.url}) expires in {days}, on {when(expires)}."


def probe_line(probe: Probe, state: ProbeState | None, now: datetime) -> str:
    if state is None or state.last_checked_at is None:
        return f":white_circle: *{probe.name}*: not checked yet ({probe.url})"
    if state.last_ok:
        icon, condition = ":large_green_circle:", "up"
    else:
        since = state.failing_since or state.last_checked_at
        icon = ":red_circle:"
        condition = f"failing for {format_duration(now - since)} ({state.consecutive_failures}x: {state.last_error})"
    latency = f", {state.last_latency_ms} ms" if state.last_latency_ms is not None else ""
    line = f"{icon} *{probe.name}*: {condition}; last check {format_duration(now - state.last_checked_at)} ago{latency}"
    if state.cert_expires_at is not None:
        line += f"; certificate expires in {format_duration(state.cert_expires_at - now)}"
    return line


def status(lines: list[str]) -> str:
    return "\n".join(["*Health probes*", *lines]) if lines else "No health probes are configured."


def _jobs(failed: list[Job]) -> str:
    by_stage: dict[str, list[str]] = {}
    for job in failed[:MAX_JOBS_LISTED]:
        by_stage.setdefault(job.stage or "?", []).append(f"`{job.name}`")
    listed = "; ".join(f"*{stage}*: {', '.join(names)}" for stage, names in by_stage.items())
    more = len(failed) - MAX_JOBS_LISTED
    return listed + (f" and {more} more" if more > 0 else "")


def pipeline_failed(event: PipelineEvent, failed: list[Job]) -> str:
    scheduled = " (scheduled)" if event.source == "schedule" else ""
    lines = [
        f":x: *Pipeline failed*{scheduled} in <{event.project_url}|{event.project}> on `{event.ref}`: "
        f"<{event.url}|pipeline #{event.pipeline_id}>"
    ]
    if failed:
        lines.append(f"Failed jobs: {_jobs(failed)}")
    commit = f"<{event.commit_url}|{event.commit_title}>" if event.commit_url else event.commit_title
    if commit:
        lines.append(f"Commit: {commit}" + (f" by {event.author}" if event.author else ""))
    if event.duration_s is not None:
        lines.append(f"Duration: {format_duration(timedelta(seconds=event.duration_s))}")
    return "\n".join(lines)


def pipeline_fixed(event: PipelineEvent) -> str:
    return f":white_check_mark: Fixed: <{event.url}|pipeline #{event.pipeline_id}> on `{event.ref}` passed."
