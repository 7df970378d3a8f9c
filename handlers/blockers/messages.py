"""What ``/blocker`` says."""

from __future__ import annotations

from slackbot.mrkdwn import escape, label

LABEL = "production::blocker"
NOT_CONFIGURED = "GitLab is not configured (`GITLAB_TOKEN` is unset), so I cannot open or close production blockers."


def title(reason: str) -> str:
    return f"Production blocker: {reason[:200]}"


def description(reason: str, who: str) -> str:
    return (
        f"{reason}\n\nOpened from Slack by {who} with `/blocker`. While this issue is open with the "
        f"`{LABEL}` label, auto-deploy to production is stopped. Close it (or run `/blocker lift`) to resume."
    )


def opened_announcement(user: str, url: str, iid: int, reason: str) -> str:
    """``reason`` is as the person wrote it in Slack; it becomes the link's plain label."""
    return (
        f":no_entry: <@{user}> opened a production blocker: <{escape(url)}|#{iid} {label(reason)}>. "
        "Auto-deploy to production is stopped until it is lifted."
    )


def opened_answer(url: str, iid: int) -> str:
    return f"Opened <{escape(url)}|#{iid}>. Lift it with `/blocker lift {iid}`."


def closed_answer(url: str, iid: int) -> str:
    return f"Closed <{escape(url)}|#{iid}>."


def lifted_announcement(user: str, url: str, iid: int) -> str:
    return (
        f":white_check_mark: <@{user}> lifted the production blocker <{escape(url)}|#{iid}>: "
        "auto-deploy to production can resume."
    )


def refused(error: str) -> str:
    return f"GitLab answered an error ({escape(error)}). Nothing was changed."


def retrying(error: str) -> str:
    return f"GitLab did not take it just now ({escape(error)}). I will keep trying and tell you here once it is done."


def not_ours(iid: int) -> str:
    return (
        f"#{iid} is not an open production blocker I opened, so I left it alone. "
        "`/blocker lift` closes only the blockers opened with `/blocker` (or `Stop auto-deploy`)."
    )


def no_longer_a_blocker(iid: int) -> str:
    return f"#{iid} no longer carries `{LABEL}` or is already closed, so I left it alone."
