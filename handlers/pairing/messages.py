"""What pair requests look like in Slack: the post, the form, and what the bot says about them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from handlers.pairing.models import PairRequest
from slackbot.durations import format_duration
from slackbot.home import Blocks, section
from slackbot.mrkdwn import capped, label, truncate

CLAIM = "pair_claim"
CALLBACK = "pair_submit"
DURATIONS = ["30m", "1h", "2h", "half a day"]
TOPIC = 1000  # characters of a topic shown in the post (its section allows 3,000)
LISTED = 30


def post_text(request: PairRequest) -> str:
    details = ", ".join(p for p in (request.area, request.duration, request.when) if p)
    head = f":handshake: <@{request.requester}> is looking for a pair: *{truncate(request.topic, TOPIC)}*" + (
        f" ({truncate(details, TOPIC)})" if details else ""
    )
    if request.state == "claimed":
        return f"{head}\nClaimed by <@{request.claimed_by}>. :tada:"
    if request.state == "expired":
        return f"{head}\nExpired: nobody was free this time."
    if request.state == "cancelled":
        return f"{head}\nCancelled by <@{request.requester}>."
    return head


def post_blocks(request: PairRequest) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": post_text(request)}}]
    if request.state == "open":
        button = {
            "type": "button",
            "action_id": CLAIM,
            "value": str(request.id),
            "style": "primary",
            "text": {"type": "plain_text", "text": "I'll pair"},
        }
        blocks.append({"type": "actions", "block_id": f"pair_{request.id}", "elements": [button]})
    return blocks


def modal() -> dict[str, Any]:
    def text_input(block_id: str, label: str, optional: bool, multiline: bool = False) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "optional": optional,
            "label": {"type": "plain_text", "text": label},
            "element": {"type": "plain_text_input", "action_id": "value", "multiline": multiline},
        }

    options = [{"text": {"type": "plain_text", "text": d}, "value": d} for d in DURATIONS]
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "private_metadata": json.dumps({}),
        "title": {"type": "plain_text", "text": "Find a pair"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "blocks": [
            text_input("topic", "What would you like to pair on?", optional=False, multiline=True),
            text_input("area", "Area (CustomersDot, license app, ...)", optional=True),
            {
                "type": "input",
                "block_id": "duration",
                "optional": True,
                "label": {"type": "plain_text", "text": "How long"},
                "element": {"type": "static_select", "action_id": "value", "options": options},
            },
            text_input("when", "When", optional=True),
        ],
    }


def group_dm(request: PairRequest, user: str) -> str:
    return (
        f":handshake: <@{request.requester}>, <@{user}> will pair with you on *{request.topic}*. "
        "Pick a time that suits you both."
    )


def bump(request: PairRequest) -> str:
    return (
        f"Still looking for a pair: <@{request.requester}> would like help with *{request.topic}*. "
        "Click `I'll pair` above if you have time."
    )


def expired(request: PairRequest, expire_after: Any) -> str:
    return (
        f"Nobody claimed your pair request “{request.topic}” within "
        f"{format_duration(expire_after)}, so it has expired. Ask again any time with `/pair`."
    )


def open_list(found: list[PairRequest], links: dict[int, str], now: datetime) -> str:
    if not found:
        return "No open pair requests. `/pair TOPIC` asks for one."
    lines = ["*Open pair requests*"]
    lines += [
        f"• <{links[r.id]}|{label(r.topic, 100)}> by <@{r.requester}>, {format_duration(now - r.created_at)} ago"
        for r in found
    ]
    return "\n".join(capped(lines, LISTED, "_and {n} more open requests_"))


def home_section(mine: list[PairRequest], now: datetime) -> Blocks:
    lines = [f"• {truncate(r.topic, 300)} (asked {format_duration(now - r.created_at)} ago)" for r in mine]
    return section("Your pair requests", lines, "No open pair requests.")
