"""The App Home view: a greeting, then each capability's section, within Slack's 100 blocks."""

from __future__ import annotations

from typing import Any

from slackbot.home import Blocks, cap


def greeting(user_id: str) -> Blocks:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Hi <@{user_id}>!* Here is what concerns you now."}}
    ]


def view(blocks: Blocks) -> dict[str, Any]:
    return {"type": "home", "blocks": cap(blocks)}
