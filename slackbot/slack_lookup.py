"""Lookups in the workspace that several capabilities need, each a single Web API call."""

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


def permalink(client: WebClient, channel: str, ts: str | None) -> str:
    """The message's link; "" for a message not posted (yet)."""
    if not ts:
        return ""
    return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])


def usergroup_mention(client: WebClient, handle: str) -> str:
    """``<!subteam^ID>`` for a user group handle; a plain ``@handle`` if Slack does not know it."""
    wanted = handle.lstrip("@")
    try:
        groups = client.usergroups_list()["usergroups"]
    except SlackApiError as exc:
        log.warning("could not list user groups (%s); mentioning @%s as text", exc.response.get("error"), wanted)
        return f"@{wanted}"
    for group in groups:
        if group.get("handle") == wanted:
            return f"<!subteam^{group['id']}>"
    log.warning("user group @%s not found; mentioning it as text", wanted)
    return f"@{wanted}"
