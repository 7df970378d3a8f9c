"""GitLab's Merge Request Hook as GitLab documents it ("Merge request events"), read into plain
values: who approved, and whether the MR was merged, closed or reopened."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slackbot.payload import whole
from slackbot.webhooks import WebhookRejected


@dataclass(frozen=True)
class MergeRequestEvent:
    project: str
    iid: int
    action: str  # open, close, reopen, update, approval, approved, unapproval, unapproved, merge
    state: str  # opened, closed, locked, merged
    title: str  # plain text
    url: str
    user: str  # who did it: a GitLab username


def merge_request_from_webhook(payload: Mapping[str, Any]) -> MergeRequestEvent:
    """The Merge Request Hook; anything else is rejected (400)."""
    try:
        attributes = payload["object_attributes"]
        return MergeRequestEvent(
            project=str(payload["project"]["path_with_namespace"]),
            iid=whole(attributes["iid"]),
            action=str(attributes.get("action") or ""),
            state=str(attributes["state"]),
            title=str(attributes.get("title") or ""),
            url=str(attributes.get("url") or ""),
            user=str((payload.get("user") or {}).get("username") or ""),
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise WebhookRejected(f"not a merge request event: {exc!r}") from None
