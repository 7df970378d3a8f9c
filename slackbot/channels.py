"""What the bot must know of the workspace before it serves: who it is (``auth.test``) and the IDs
of its configured channels.

Both are kept in the database (``slack_cache``), so a start needs no Slack call but ``auth.test``,
and not even that one while Slack refuses: a gunicorn worker boots within its 30 s whatever Slack
answers. Channel names are looked up first among the channels the bot is in (``users.conversations``),
then among the public ones (``conversations.list``, which it joins); an ID found is rechecked only
when Slack answers ``channel_not_found`` for it (the cache entry is dropped then, and the next start
looks again).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from slackbot.config import CHANNEL_KEYS, ChannelsSection, ConfigError, looks_like_channel_id
from slackbot.db import Database, upsert
from slackbot.models import SlackCache

log = logging.getLogger(__name__)

PATIENCE = 15.0  # seconds the start waits for a Slack that answers 429 before it uses what it knows
IDENTITY = "auth.test"
T = TypeVar("T")


@dataclass(frozen=True)
class SlackChannel:
    id: str
    name: str
    is_private: bool
    is_member: bool


class SlackUnavailable(Exception):
    """Slack did not answer at start within the patience allowed."""


def patiently(call: Callable[[], T], patience: float = PATIENCE) -> T:
    """Make a start-up call, waiting out 429s and 5xx for at most ``patience`` seconds in all."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return call()
        except SlackApiError as exc:
            status = exc.response.status_code
            if status != 429 and status < 500:
                raise
            wait = float(exc.response.headers.get("Retry-After", 1) or 1) if status == 429 else 1.0
        except OSError as exc:
            log.warning("Slack did not answer at start (%s)", exc)
            wait = 1.0
        if time.monotonic() + wait > deadline:
            raise SlackUnavailable("Slack kept refusing at start") from None
        time.sleep(wait)


class WorkspaceCache:
    def __init__(self, db: Database):
        self.db = db

    def get(self, key: str) -> Any:
        with self.db.reading() as session:
            row = session.get(SlackCache, key)
            return row.value if row is not None else None

    def put(self, key: str, value: Any, now: datetime) -> None:
        with self.db.transaction() as session:
            upsert(session, SlackCache, {"key": key, "value": value, "updated_at": now}, ("key",))


def forget_channel(session: Session, channel_id: str) -> None:
    """Slack said ``channel_not_found`` for a cached ID: the next start looks the name up again."""
    stale = [
        r.key
        for r in session.scalars(select(SlackCache).where(SlackCache.key.like("channel:%")))
        if r.value == channel_id
    ]
    if stale:
        session.execute(delete(SlackCache).where(SlackCache.key.in_(stale)))
        log.warning("Slack does not know channel %s any more: it is looked up again at the next start", channel_id)


def identify(client: WebClient, cache: WorkspaceCache, now: datetime) -> dict[str, Any]:
    """``auth.test``; while Slack refuses, the identity from the last start."""
    try:
        identity = dict(patiently(client.auth_test).data)  # type: ignore[arg-type]
    except SlackUnavailable:
        cached = cache.get(IDENTITY)
        if cached is None:
            raise
        log.warning("Slack refused auth.test at start: serving as %s, as at the last start", cached.get("user_id"))
        return dict(cached)
    cache.put(IDENTITY, {k: identity.get(k) for k in ("user_id", "bot_id", "team_id", "url", "enterprise_id")}, now)
    return identity


def _channels(pages: Iterable[Any]) -> list[SlackChannel]:
    return [
        SlackChannel(c["id"], c["name"], bool(c.get("is_private")), bool(c.get("is_member", True)))
        for page in pages
        for c in page.get("channels", [])
    ]


def resolve_channels(
    client: WebClient,
    section: ChannelsSection,
    cache: WorkspaceCache,
    now: datetime,
    optional: dict[str, str] | None = None,
) -> dict[str, str]:
    """Map each channel key (questions, status, ...) to its ID, joining public channels on the way.

    ``optional`` names more channels a capability posts to by name (``reviews.ux_channel``): one
    that is not found is a warning, not a reason to refuse to start, and is left out."""
    required = {key: str(getattr(section, key)).lstrip("#") for key in CHANNEL_KEYS}
    refs = required | {key: ref.lstrip("#") for key, ref in (optional or {}).items()}
    resolved: dict[str, str] = {}
    for key, ref in refs.items():
        cached = cache.get(f"channel:{key}:{ref}")
        if cached:
            resolved[key] = str(cached)
    wanted = {key: ref for key, ref in refs.items() if key not in resolved}
    if wanted:
        member_of = patiently(
            lambda: _channels(
                client.users_conversations(types="public_channel,private_channel", exclude_archived=True, limit=200)
            )
        )
        _match(wanted, member_of, resolved)
    wanted = {key: ref for key, ref in refs.items() if key not in resolved}
    by_id = {key: ref for key, ref in wanted.items() if looks_like_channel_id(ref)}
    if len(by_id) < len(wanted):
        public = patiently(
            lambda: _channels(client.conversations_list(types="public_channel", exclude_archived=True, limit=200))
        )
        _match({k: r for k, r in wanted.items() if k not in by_id}, [c for c in public if not c.is_private], resolved)
    for key, ref in by_id.items():
        info = _info(client, ref)
        if info is not None and not info.is_private:
            resolved[key] = info.id
    for key in [k for k in wanted if k in resolved]:
        patiently(partial(client.conversations_join, channel=resolved[key]))
        log.info("joined %s for channels.%s", refs[key], key)
    problems = [
        f'channels.{key}: channel "{ref}" was not found; create it, or invite the bot if it is private'
        for key, ref in required.items()
        if key not in resolved
    ]
    if problems:
        raise ConfigError(problems)
    for key in sorted(set(refs) - set(resolved)):
        log.warning('%s: channel "%s" was not found; what goes there is refused until it exists', key, refs[key])
    for key, ref in [(k, r) for k, r in refs.items() if k in resolved]:
        if cache.get(f"channel:{key}:{ref}") != resolved[key]:
            cache.put(f"channel:{key}:{ref}", resolved[key], now)
    return resolved


def _match(wanted: dict[str, str], channels: list[SlackChannel], resolved: dict[str, str]) -> None:
    """Record the wanted keys found among ``channels``, by name or by ID."""
    known = {c.name: c for c in channels} | {c.id: c for c in channels}
    for key, ref in wanted.items():
        if ref in known:
            resolved[key] = known[ref].id


def _info(client: WebClient, channel_id: str) -> SlackChannel | None:
    try:
        found = patiently(partial(client.conversations_info, channel=channel_id))["channel"]
    except SlackApiError as exc:
        if exc.response.get("error") == "channel_not_found":
            return None
        raise
    return SlackChannel(found["id"], found["name"], bool(found.get("is_private")), bool(found.get("is_member")))
