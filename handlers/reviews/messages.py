"""What review requests look like in Slack: the post with `I'll review`, the nudge, the list and
the App Home's lines. People's text (the note, the MR's title) goes out through ``usertext``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from handlers.reviews.models import ReviewClaim, ReviewRequest
from slackbot import usertext
from slackbot.durations import format_duration
from slackbot.home import Blocks, section
from slackbot.mrkdwn import capped, truncate

CLAIM = "review_claim"
NOTE = 500  # characters of a note shown
TITLE = 200
LISTED = 30
KIND_NAMES = {
    "": "review (two reviewers, one a maintainer)",
    "trivial": "review of a trivial change (one reviewer is enough)",
    "maintainer": "maintainer review",
    "database": "database review (a database reviewer and a maintainer)",
    "ux": "UX review",
}
GITLAB_STATES = {
    "pending": " (being set as reviewer in GitLab)",
    "no_account": " (not set in GitLab: no `gitlab` username in `[[people]]`, or no `GITLAB_TOKEN`)",
    "failed": " (GitLab refused to set them as reviewer)",
}


def merge_request(request: ReviewRequest) -> str:
    """``project!iid``, linked, and the MR's title once GitLab has told it."""
    name = usertext.link(request.url, usertext.raw(f"{request.project}!{request.mr_iid}"))
    return f"{name} {usertext.raw(truncate(request.title, TITLE))}".rstrip()


def reviewer(claim: ReviewClaim) -> str:
    roles = [r for r, held in (("maintainer", claim.maintainer), ("database", claim.database)) if held]
    return f"<@{claim.user}>" + (f" ({', '.join(roles)})" if roles else "") + GITLAB_STATES.get(claim.gitlab_state, "")


def needed(needs: Sequence[str]) -> str:
    return " and ".join(needs)


def post_text(request: ReviewRequest, claims: Sequence[ReviewClaim], needs: Sequence[str]) -> str:
    lines = [f":mag: <@{request.requester}> asks for a {KIND_NAMES[request.kind]} of {merge_request(request)}"]
    if request.note:
        lines.append(f"> {truncate(' '.join(usertext.slack(request.note).split()), NOTE)}")
    if claims:
        lines.append("Reviewers: " + ", ".join(reviewer(c) for c in claims))
    if request.approved_by:
        lines.append("Approved in GitLab by " + ", ".join(usertext.raw(u) for u in request.approved_by))
    if request.state == "merged":
        lines.append(":tada: Merged.")
    elif request.state == "closed":
        lines.append("Closed without merging.")
    elif needs:
        lines.append(f"Still needs {needed(needs)}.")
    else:
        lines.append(":white_check_mark: It has the reviewers the handbook asks for.")
    return "\n".join(lines)


def post(
    request: ReviewRequest, claims: Sequence[ReviewClaim], needs: Sequence[str]
) -> tuple[str, list[dict[str, Any]]]:
    """The post's text and its blocks: the text, and `I'll review` while someone is still needed."""
    text = post_text(request, claims, needs)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if request.state == "open" and needs:
        button = {
            "type": "button",
            "action_id": CLAIM,
            "value": str(request.id),
            "style": "primary",
            "text": {"type": "plain_text", "text": "I'll review"},
        }
        blocks.append({"type": "actions", "block_id": f"review_{request.id}", "elements": [button]})
    return text, blocks


def nudge(request: ReviewRequest, needs: Sequence[str], people: Sequence[str], waited: timedelta) -> str:
    mentions = " ".join(f"<@{p}>" for p in people)
    head = f":hourglass: This review request has waited {format_duration(waited)}"
    if needs and people:
        return f"{head} and still needs {needed(needs)}. {mentions}, could one of you take it?"
    if needs:
        return f"{head} and still needs {needed(needs)}; nobody who can give it is at work now."
    if people:
        return f"{head} for its reviews. {mentions}: it is waiting for you."
    return f"{head} for its reviews; its reviewers are not at work now."


def open_list(found: Sequence[tuple[ReviewRequest, list[str]]], now: datetime) -> str:
    if not found:
        return "No open review requests. `/review MR_URL` asks for one."
    lines = ["*Open review requests*"]
    for request, needs in found:
        waiting = f"needs {needed(needs)}" if needs else "reviewers found"
        lines.append(
            f"• {merge_request(request)}: {waiting} (asked by <@{request.requester}> "
            f"{format_duration(now - request.created_at)} ago)"
        )
    return "\n".join(capped(lines, LISTED, "_and {n} more open requests_"))


def home_section(mine: Sequence[ReviewRequest], reviewing: Sequence[ReviewRequest]) -> Blocks:
    asked = [f"• {merge_request(r)}" for r in mine]
    taken = [f"• {merge_request(r)} for <@{r.requester}>" for r in reviewing]
    return [
        *section("Your review requests", asked, "No open review requests of yours."),
        *section("Reviews you took", taken, "No reviews waiting for you."),
    ]
