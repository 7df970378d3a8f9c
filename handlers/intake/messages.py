"""``/intake``: the form, and the issue description written into the project's own template."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slackbot.mrkdwn import escape, label, truncate

CALLBACK = "intake_submit"
URGENCIES = ["low", "medium", "high", "critical"]
NOT_CONFIGURED = "Intake is not configured: `GITLAB_TOKEN` is unset, so I cannot file issues in GitLab."


@dataclass(frozen=True)
class Field:
    block_id: str
    label: str
    heading_words: tuple[str, ...]  # a template heading containing one of these takes the answer
    multiline: bool = True


FIELDS = (
    Field("problem", "Problem to solve", ("problem",)),
    Field("requester", "Who is asking (team / customer)", ("who", "requester", "customer"), multiline=False),
    Field("impact", "Business impact", ("impact", "value")),
)


def fill_template(template: str, answers: list[tuple[Field, str]], footer: str) -> str:
    """Put each answer under the first template heading that names it; the rest go in a section of their own."""
    lines = template.rstrip().splitlines()
    leftovers = []
    for field, answer in answers:
        index = next(
            (
                i
                for i, line in enumerate(lines)
                if re.match(r"#+\s", line) and any(w in line.lower() for w in field.heading_words)
            ),
            None,
        )
        if index is None:
            leftovers.append(f"### {field.label}\n\n{answer}")
        else:
            lines[index + 1 : index + 1] = ["", answer]
    body = "\n".join(lines)
    if leftovers:
        body += "\n\n## Details from Slack\n\n" + "\n\n".join(leftovers)
    return f"{body}\n\n{footer}".strip() + "\n"


def footer(asker: str, slack_link: str, urgency: str, pm_mention: str) -> str:
    return f"---\nRequested by {asker} in Slack: {slack_link}\nUrgency: **{urgency}**\n\n/cc {pm_mention}"


def modal(title: str) -> dict[str, Any]:
    title_input: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 255}
    if title:
        title_input["initial_value"] = title[:255]
    blocks: list[dict[str, Any]] = [_input("title", "Title", title_input)]
    blocks += [
        _input(f.block_id, f.label, {"type": "plain_text_input", "action_id": "value", "multiline": f.multiline})
        for f in FIELDS
    ]
    options = [{"text": {"type": "plain_text", "text": u.capitalize()}, "value": u} for u in URGENCIES]
    blocks.append(_input("urgency", "Urgency", {"type": "static_select", "action_id": "value", "options": options}))
    blocks.append(_input("pm", "Product Manager to tag", {"type": "users_select", "action_id": "value"}))
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": {"type": "plain_text", "text": "Intake request"},
        "submit": {"type": "plain_text", "text": "File it"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def _input(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label}, "element": element}


def filing(title: str) -> str:
    """``title`` as typed in the form (raw)."""
    return f"Filing your intake request “{escape(truncate(title, 255))}”…"


def filed(url: str, project: str, iid: int) -> str:
    return f":inbox_tray: Filed: <{escape(url)}|{escape(project)}#{iid}>"


def retrying(error: str) -> str:
    return (
        f"GitLab did not take the request just now ({escape(error)}). Your answers are saved: "
        "I will keep trying and send you the link here once it is filed."
    )


def refused(error: str) -> str:
    return (
        f"GitLab refused the intake request ({escape(error)}). Your answers are kept: "
        "an admin can file it again with `fulfillbot parked`."
    )


def listed(url: str | None, iid: int | None, title: str, state: str) -> str:
    """One request in ``/intake list``; ``title`` as typed (raw)."""
    if iid is None:
        return f"• {escape(truncate(title, 200))}: waiting for GitLab (retrying; {escape(state)})"
    return f"• <{escape(url or '')}|#{iid} {label(escape(title), 150)}>: {escape(state)}"
