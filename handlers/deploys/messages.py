"""What the deploy train says in Slack (pure Block Kit): one message per train, its stages, and its
`Block` and `Expedite` buttons; the answers of ``/deploys``. GitLab's text (commit titles, names)
is shown through ``slackbot.usertext``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.deploys.freeze import Freeze
from handlers.deploys.models import Train
from slackbot import usertext
from slackbot.mrkdwn import date_token, truncate

BLOCK, EXPEDITE = "train_block", "train_expedite"
ICONS = {
    "success": ":white_check_mark:",
    "failed": ":x:",
    "running": ":arrows_counterclockwise:",
    "pending": ":hourglass_flowing_sand:",
    "created": ":hourglass_flowing_sand:",
    "scheduled": ":alarm_clock:",
    "manual": ":double_vertical_bar:",
    "canceled": ":heavy_minus_sign:",
    "skipped": ":heavy_minus_sign:",
}


@dataclass(frozen=True)
class BlockerShown:
    state: str  # opening, open, lifted, failed
    iid: int | None
    url: str


def reached_at(moment: str | None) -> str:
    """When a stage got to its state (stored as ISO text), in the reader's timezone."""
    if not moment:
        return ""
    return " at " + date_token(datetime.fromisoformat(moment), time_only=True)


def stage_line(stage: str, found: dict[str, Any] | None, last: bool) -> str:
    name = usertext.raw(stage)
    if not found:
        return f":white_circle: {name}"
    status = str(found.get("status", ""))
    job = usertext.link(str(found.get("url", "")), usertext.raw(str(found.get("job", stage)))) or name
    if last and status == "scheduled":
        at = found.get("scheduled_at")
        when_text = f" for {date_token(datetime.fromisoformat(str(at).replace('Z', '+00:00')))}" if at else ""
        return f"{ICONS[status]} {job}: production is scheduled{when_text} (the delayed job); `Expedite` runs it now"
    return f"{ICONS.get(status, ':grey_question:')} {job} {status}{reached_at(found.get('at'))}"


def headline(train: Train, stages: Sequence[str]) -> str:
    failed = [s for s in stages if (train.stages.get(s) or {}).get("status") == "failed"]
    if failed:
        return f":red_circle: *Train #{train.pipeline_id} stopped*: {usertext.raw(failed[0])} failed"
    if train.deployed_at is not None:
        return f":large_green_circle: *Train #{train.pipeline_id} is in production*"
    return f":steam_locomotive: *Train #{train.pipeline_id} to production*"


def train(train: Train, stages: Sequence[str], blocker: BlockerShown | None) -> tuple[str, list[dict[str, Any]]]:
    title = usertext.raw(truncate(train.title, 200))
    author = f" by {usertext.raw(train.author)}" if train.author else ""
    pipeline = usertext.link(train.url, "pipeline")
    lines = [f"{headline(train, stages)}: {title}{author}" + (f" ({pipeline})" if pipeline else "")]
    if train.merge_requests:
        carried = [
            f"{usertext.link(mr['url'], '!' + str(mr['iid'])) or '!' + str(mr['iid'])} "
            f"{usertext.raw(truncate(mr['title'], 80))} ({usertext.raw(mr['author'])})"
            for mr in train.merge_requests
        ]
        lines.append("Carries " + ", ".join(carried))
    lines += [stage_line(s, train.stages.get(s), i == len(stages) - 1) for i, s in enumerate(stages)]
    notes = []
    if blocker is not None and blocker.state in ("opening", "open"):
        issue = usertext.link(blocker.url, f"#{blocker.iid}") if blocker.iid else "a production::blocker (being filed)"
        notes.append(f":no_entry: Blocked by {issue}")
    elif blocker is not None and blocker.state == "lifted":
        notes.append(":arrow_forward: Unblocked: its production::blocker was lifted")
    if train.freeze:
        notes.append(f":snowflake: Merged during the feature freeze of {usertext.raw(train.freeze)}")
    if train.overtakes is not None:
        notes.append(f"Overtakes train #{train.overtakes}")
    if train.overtaken_by is not None:
        notes.append(f":fast_forward: Overtaken by train #{train.overtaken_by}: it carries these changes too")
    if train.expedited_by:
        notes.append(f":zap: Expedited by <@{train.expedited_by}>")
    text = "\n".join(lines + notes)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if train.deployed_at is None and train.status not in ("failed", "canceled") and train.overtaken_by is None:
        buttons = [("Block", BLOCK, "danger"), ("Expedite", EXPEDITE, "primary")]
        elements = [
            {
                "type": "button",
                "action_id": a,
                "value": str(train.id),
                "style": s,
                "text": {"type": "plain_text", "text": t},
            }
            for t, a, s in buttons
        ]
        blocks.append({"type": "actions", "block_id": f"train_{train.id}", "elements": elements})
    return text, blocks


def listing(trains: Sequence[Train], stages: Sequence[str]) -> str:
    if not trains:
        return "No deploy train yet."
    return "*Recent deploy trains*\n" + "\n".join(
        f"• {headline(t, stages)}: {usertext.raw(truncate(t.title, 80))}" for t in trains
    )


def expedited(train: Train, user: str) -> str:
    return (
        f":zap: <@{user}> expedited train #{train.pipeline_id} ({usertext.raw(truncate(train.title, 120))}): "
        "its production deploy runs now instead of after the delay."
    )


def lock_reminder(name: str, start: datetime, end: datetime) -> str:
    return (
        f":lock: Production change lock *{usertext.raw(name)}* starts {date_token(start)} and ends {date_token(end)}; "
        "you are one of its DRIs. At its start I file its PCL issue and open the production::blocker; at its "
        "end I lift the blocker and close the issue."
    )


def pcl_description(template: str, name: str, start: datetime, end: datetime, dris: Sequence[str]) -> str:
    """The PCL issue: the project's own template, then what this lock is (GitLab Markdown; the name
    is made inert by the caller)."""
    people = ", ".join(dris) or "none named"
    details = (
        f"## {name}\n\n- From: {start:%Y-%m-%d %H:%M %Z}\n- To: {end:%Y-%m-%d %H:%M %Z}\n- DRIs (Slack): {people}\n"
        "- The production::blocker is opened and lifted by fulfillbot at these times."
    )
    return f"{template.rstrip()}\n\n{details}" if template.strip() else details


def freeze_started(found: Freeze) -> str:
    return (
        f":snowflake: Feature freeze for {usertext.raw(found.milestone)} from today to release day, "
        f"{found.ends:%A %-d %B}: what is not merged now moves to the next milestone."
    )


def freeze_ended(found: Freeze) -> str:
    return f":sunny: Release day: the feature freeze for {usertext.raw(found.milestone)} is over."
