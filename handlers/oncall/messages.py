"""What on call looks like in Slack: the overview, schedules, handoff DMs, swap offers and cover
requests. Times are shown in the reader's own timezone (the channel announcement: the rotation's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.incidents.api import IncidentView
from handlers.oncall.models import OncallCoverRequest, OncallOverride, OncallSwap
from handlers.oncall.schedule import Plan, Segment, Shift
from slackbot.home import Blocks, section
from slackbot.mrkdwn import capped, fit, truncate

ACCEPT_SWAP = "oncall_swap_accept"
FIND_COVER = "oncall_find_cover"
TAKE_COVER = "oncall_take_cover"
LISTED = 40
RESPONSE_LIMIT = 3900  # a response_url message's text, with room to spare under Slack's 4,000
USAGE_OVERRIDE = "Usage: `/oncall override ROTATION @user FROM TO` (dates `2026-12-07` or times `2026-12-07T10:00`)"


def when(at: datetime, zone: ZoneInfo) -> str:
    """ "Mon 7 Dec 10:00 CET", in the reader's timezone."""
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname()}"


def _button(text: str, action_id: str, value: str, style: str = "primary") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
        "style": style,
    }


def _with_button(text: str, block_id: str, button: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    return text, [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": block_id, "elements": [button]},
    ]


def _only_text(text: str) -> tuple[str, list[dict[str, Any]]]:
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def stretch(segment: Segment, zone: ZoneInfo) -> str:
    covered = " (override)" if segment.override is not None else ""
    return f"<@{segment.user}>{covered} until {when(segment.end, zone)}"


def overview(rows: Sequence[tuple[Plan, Segment | None, Segment | None]], zone: ZoneInfo) -> str:
    if not rows:
        return "No rotations are configured: see `[[oncall.rotations]]` in the README."
    lines = []
    for plan, current, following in rows:
        now_text = stretch(current, zone) if current is not None else "nobody"
        next_text = f"<@{following.user}> from {when(following.start, zone)}" if following is not None else "nobody"
        lines.append(f"*{plan.name}*: now {now_text}; next {next_text}")
    return fit(lines, RESPONSE_LIMIT)


def schedule(plan: Plan, ahead: Sequence[Segment], zone: ZoneInfo, weeks: int) -> str:
    head = f"*{plan.name}*, the next {weeks} week(s):"
    lines = [f"• {when(s.start, zone)} → {when(s.end, zone)}: <@{s.user}>" + _source(s) for s in ahead]
    return fit([head, *(capped(lines, LISTED) or ["• nobody is on call"])], RESPONSE_LIMIT)


def _source(segment: Segment) -> str:
    return f" (override {segment.override})" if segment.override is not None else ""


def overrides(rows: Sequence[OncallOverride], zone: ZoneInfo) -> str:
    if not rows:
        return "No upcoming overrides."
    lines = [
        f"• `{r.id}` {r.rotation}: <@{r.user_id}> from {when(r.starts_at, zone)} to {when(r.ends_at, zone)}"
        f" ({r.reason}, by <@{r.created_by}>)"
        for r in rows
    ]
    return fit(
        ["Upcoming overrides (`/oncall override cancel ID` removes one):", *capped(lines, LISTED)], RESPONSE_LIMIT
    )


def override_added(row: OncallOverride, zone: ZoneInfo) -> str:
    return (
        f"Override `{row.id}`: <@{row.user_id}> is on call for {row.rotation} from {when(row.starts_at, zone)}"
        f" to {when(row.ends_at, zone)}."
    )


def swap_offer(swap: OncallSwap, given: Shift, taken: Shift | None, zone: ZoneInfo) -> tuple[str, list[dict[str, Any]]]:
    offer = f"<@{swap.proposer}> asks you to take their {swap.rotation} shift from {when(given.start, zone)}"
    back = f", and takes yours from {when(taken.start, zone)} in return" if taken is not None else ""
    return _with_button(
        f":arrows_counterclockwise: {offer}{back}.",
        f"oncall_swap_{swap.id}",
        _button("Accept", ACCEPT_SWAP, str(swap.id)),
    )


def swap_accepted(swap: OncallSwap) -> tuple[str, list[dict[str, Any]]]:
    return _only_text(f":white_check_mark: <@{swap.target}> accepted the {swap.rotation} swap with <@{swap.proposer}>.")


def briefing(incidents: Sequence[IncidentView], down: Sequence[str]) -> str:
    open_lines = [f"• #{i.id} {i.severity}: {truncate(i.summary, 200)} ({i.state})" for i in incidents]
    down_lines = [f"• {truncate(name, 200)}" for name in down]
    return "\n".join(
        [
            "*Open incidents:*",
            *(capped(open_lines, 10) or ["• none"]),
            "*Probes down:*",
            *(capped(down_lines, 10) or ["• none"]),
        ]
    )


def incoming(rotation: str, segment: Segment, zone: ZoneInfo, brief: str) -> str:
    return f":pager: You are on call for *{rotation}* until {when(segment.end, zone)}.\n{brief}"


def outgoing(rotation: str, segment: Segment, zone: ZoneInfo, brief: str) -> str:
    return (
        f":wave: Your {rotation} shift is over: <@{segment.user}> is on call until {when(segment.end, zone)}."
        f" Thank you!\n{brief}"
    )


def announcement(rotation: str, segment: Segment, zone: ZoneInfo) -> str:
    return f":pager: On call for {rotation}: <@{segment.user}> until {when(segment.end, zone)}"


def away_warning(request: OncallCoverRequest, days: Sequence[date], zone: ZoneInfo) -> tuple[str, list[dict[str, Any]]]:
    listed = ", ".join(d.isoformat() for d in days[:10]) + (f" and {len(days) - 10} more" if len(days) > 10 else "")
    text = (
        f":palm_tree: <@{request.user_id}> is on call for *{request.rotation}* from {when(request.shift_start, zone)}"
        f" but away on {listed}. `Find cover` asks the engineering channel for someone to take"
        f" {when(request.away_from, zone)} → {when(request.away_until, zone)}."
    )
    return _with_button(text, f"oncall_away_{request.id}", _button("Find cover", FIND_COVER, str(request.id)))


def cover_request(request: OncallCoverRequest, by: str, zone: ZoneInfo) -> tuple[str, list[dict[str, Any]]]:
    text = (
        f":sos: Cover needed for *{request.rotation}* on call: <@{request.user_id}> is away"
        f" {when(request.away_from, zone)} → {when(request.away_until, zone)} (asked by <@{by}>)."
        " The first to click `I'll cover` takes it."
    )
    return _with_button(text, f"oncall_cover_{request.id}", _button("I'll cover", TAKE_COVER, str(request.id)))


def cover_taken(request: OncallCoverRequest, zone: ZoneInfo) -> tuple[str, list[dict[str, Any]]]:
    return _only_text(
        f":white_check_mark: <@{request.covered_by}> covers {request.rotation} for <@{request.user_id}>"
        f" from {when(request.away_from, zone)} to {when(request.away_until, zone)}."
    )


def home_section(mine: Sequence[tuple[str, Segment]], zone: ZoneInfo) -> Blocks:
    lines = [f"• {rotation}: {when(s.start, zone)} → {when(s.end, zone)}" for rotation, s in mine]
    return section("On call", lines, "No on-call shifts ahead.")
