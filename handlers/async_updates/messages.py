"""What the weekly async issue update says, with the handbook's template."""

from __future__ import annotations

from typing import Any

from slackbot.home import Blocks, section
from slackbot.mrkdwn import capped, escape, label

TEMPLATE = """### Async issue update

1. Please provide a quick summary of the current status (one sentence)
    -
1. How confident are you that this will make it to the current milestone?
    - [ ] Not confident
    - [ ] Slightly confident
    - [ ] Very confident
1. Are there any opportunities to further break the issue or merge request into smaller pieces (if applicable)?
    - [ ] Yes
    - [ ] No
1. Were expectations met from a previous update? If not, please explain why.
    - [ ] Yes
    - [ ] No, ___
1. Are the related issues up to date? Please link any missing issues in the epic that could be linked to this issue
    - [ ] Yes
    - [ ] No

/health_status [on_track, needs_attention, at_risk]"""


LISTED = 20


def issue_line(issue: dict[str, Any]) -> str:
    """An issue GitLab listed (raw fields) as a link."""
    text = escape(f"{issue['reference']} {issue['title']}")
    return f"• <{escape(str(issue['url']))}|{label(text, 150)}>"


def reminder_text(issues: list[dict[str, Any]]) -> str:
    listed = "\n".join(capped([issue_line(i) for i in issues], LISTED, "_and {n} more issues_"))
    return (
        f":memo: *Weekly async issue update.* These issues assigned to you have no update from you in the last "
        f"7 days:\n{listed}\nPlease comment on each with the async update template:\n```{TEMPLATE}```"
    )


def home_section(issues: list[dict[str, Any]]) -> Blocks:
    return section(
        "Issues awaiting your async update",
        [issue_line(i) for i in issues],
        "Nothing waiting: your assigned issues all have a recent update.",
    )
