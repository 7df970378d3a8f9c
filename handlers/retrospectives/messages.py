"""What the retrospective looks like: the GitLab issue (Markdown; people's text made inert by the
sections that hold it), a message added to it, and the `Add to retro` form in Slack."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from handlers.retrospectives.api import RetroSection
from slackbot import usertext
from slackbot.mrkdwn import plain, truncate

SHORTCUT = "add_to_retro"
CALLBACK = "add_to_retro_submit"
ANONYMOUS = "anonymous"
QUOTED = 1500  # characters of a message carried in the form (private_metadata holds 3,000)
PROMPTS = ("What went well this month?", "What didn't go so well?", "What can we improve?")


def title(month: str) -> str:
    return f"Fulfillment async retrospective: {date.fromisoformat(month + '-01'):%B %Y}"


def description(month: str, sections: Sequence[RetroSection]) -> str:
    lines = [
        f"The monthly asynchronous retrospective of {date.fromisoformat(month + '-01'):%B %Y}, as the handbook asks",
        "(after the 8th). Below is what fulfillbot saw during the month; add your own points in the threads.",
        "In Slack, the `Add to retro` message shortcut adds a message here as a comment.",
    ]
    for found in sections:
        lines += ["", f"## {found.title}", "", *(found.lines or ["Nothing this month."])]
    for prompt in PROMPTS:
        lines += ["", f"## {prompt}", ""]
    return "\n".join(lines)


def note(text: str, author_name: str, permalink: str) -> str:
    """The message quoted (inert for GitLab), then who wrote it and where, unless left out."""
    quoted = [f"> {usertext.gitlab(line)}" if line.strip() else ">" for line in plain(text).splitlines() or [""]]
    source = (
        f"{usertext.gitlab(author_name)} in Slack" if author_name else "Added from Slack (the author's name left out)"
    )
    return "\n".join([*quoted, "", f"— {source}" + (f" ([message]({permalink}))" if permalink else "")])


def form(text: str, channel: str, ts: str, author: str, response_url: str) -> dict[str, Any]:
    """The form: the message shown back, and whether to leave the author's name out."""
    carried = truncate(text, QUOTED)
    metadata = json.dumps({"text": carried, "channel": channel, "ts": ts, "author": author, "url": response_url})
    option = {
        "text": {"type": "plain_text", "text": "Leave out the author's name (and the link to the message)"},
        "value": ANONYMOUS,
    }
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Add to retro"},
        "submit": {"type": "plain_text", "text": "Add"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "> " + truncate(usertext.slack(carried), 2800)}},
            {
                "type": "input",
                "block_id": ANONYMOUS,
                "optional": True,
                "label": {"type": "plain_text", "text": "Name"},
                "element": {"type": "checkboxes", "action_id": "value", "options": [option]},
            },
        ],
    }


def added(url: str) -> str:
    return f":memo: Added to the retrospective: {usertext.link(url, 'the issue')}."


def link(url: str | None) -> str:
    """The cadence announcement's ``{retrospective}``."""
    return usertext.link(url, "the retrospective issue") if url else "(the retrospective issue is being filed)"
