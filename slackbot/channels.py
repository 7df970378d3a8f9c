"""Configured channel names become IDs at start, and the bot joins the public ones it needs."""

import logging
from dataclasses import dataclass

from slack_sdk import WebClient

from slackbot.config import CHANNEL_KEYS, ChannelsSection, ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackChannel:
    id: str
    name: str
    is_private: bool
    is_member: bool


def list_channels(client: WebClient) -> list[SlackChannel]:
    """Every channel the bot can see, following ``conversations.list`` pagination to the end."""
    channels: list[SlackChannel] = []
    for page in client.conversations_list(types="public_channel,private_channel", exclude_archived=True, limit=200):
        channels += [
            SlackChannel(c["id"], c["name"], bool(c.get("is_private")), bool(c.get("is_member")))
            for c in page.get("channels", [])
        ]
    return channels


def resolve_channels(client: WebClient, section: ChannelsSection) -> dict[str, str]:
    """Map each channel key (questions, status, ...) to its ID, joining public channels on the way."""
    visible = list_channels(client)
    by_name = {c.name: c for c in visible}
    by_id = {c.id: c for c in visible}
    resolved: dict[str, str] = {}
    problems: list[str] = []
    for key in CHANNEL_KEYS:
        ref = str(getattr(section, key)).lstrip("#")
        channel = by_id.get(ref) or by_name.get(ref)
        if channel is None:
            problems.append(
                f'channels.{key}: channel "{ref}" was not found; create it, or invite the bot if it is private'
            )
            continue
        if not channel.is_member:  # private channels are listed only once the bot is in them
            client.conversations_join(channel=channel.id)
            log.info("joined #%s for channels.%s", channel.name, key)
        resolved[key] = channel.id
    if problems:
        raise ConfigError(problems)
    return resolved
