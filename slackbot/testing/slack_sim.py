"""A stateful local Slack workspace: the Web API on a loopback HTTP server.

Users with timezones, channels, DMs, messages and threads, reactions, user groups, views,
ephemerals and response URLs. The real ``WebClient`` talks to it over a socket, exactly as it
talks to slack.com. Unknown methods answer ``unknown_method``.

Faults, as Slack has them: ``enforce_rate_limits`` applies Slack's limits per method tier and, for
``chat.postMessage``, per channel and per workspace, answering 429 with ``Retry-After``;
``outage`` answers 503 to every call for a while; ``rate_limit`` and ``fail`` make the next calls of
one method fail; ``slow`` makes a method take its time to answer.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from slackbot.clock import Clock, SystemClock
from slackbot.ratelimit import METHOD_TIERS, PER_CHANNEL, POST_MESSAGE, SLACK_WORKSPACE, TIER_RATES, Bucket, Rate
from slackbot.testing.block_kit import MESSAGE_BLOCKS, TEXT_LIMIT, block_problems, view_problems
from slackbot.testing.loopback import LoopbackServer, Reply
from slackbot.testing.socket_link import SocketLink

JSON_FIELDS = {"blocks", "attachments", "view", "metadata", "files"}
TRIGGER_LIFETIME = 3.0
RESPONSE_URL_LIFETIME = timedelta(minutes=30)
RESPONSE_URL_USES = 5
CHANNEL_NAME_LIMIT = 80
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
APP_ID = "A0SIMAPP1"
APP_TOKEN_METHODS = {"apps.connections.open"}  # the methods that take the app-level token (xapp-)
SLACKBOT = {"id": "USLACKBOT", "name": "slackbot", "real_name": "Slackbot", "is_bot": False, "deleted": False}

Observer = Callable[[str, dict[str, Any]], None]


class SlackError(Exception):
    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    is_archived: bool = False
    members: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def describe(self, viewer: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not (self.is_im or self.is_mpim or self.is_private),
            "is_private": self.is_private,
            "is_im": self.is_im,
            "is_mpim": self.is_mpim,
            "is_archived": self.is_archived,
            "is_member": viewer in self.members,
            "num_members": len(self.members),
        }


@dataclass(frozen=True)
class RateLimits:
    """Slack's published limits (per method, per app, per workspace); ``scale`` runs them faster."""

    tiers: tuple[Rate, Rate, Rate, Rate] = TIER_RATES
    per_channel: Rate = PER_CHANNEL
    workspace: Rate = SLACK_WORKSPACE
    scale: float = 1.0


class Limiter:
    """Token buckets in real time; a refusal names how long until the next token (``Retry-After``)."""

    def __init__(self, limits: RateLimits):
        self.limits = limits
        self.buckets: dict[str, Bucket] = {}

    def _bucket(self, key: str, rate: Rate, now: float) -> Bucket:
        if key not in self.buckets:
            self.buckets[key] = Bucket(Rate(rate.per_second * self.limits.scale, rate.burst), now)
        return self.buckets[key]

    def check(self, method: str, channel: str) -> int | None:
        """None when the call may go (its tokens are spent), else the Retry-After in seconds."""
        now = time.monotonic()
        if method == POST_MESSAGE:
            needed = [
                self._bucket(f"channel:{channel}", self.limits.per_channel, now),
                self._bucket("workspace", self.limits.workspace, now),
            ]
        else:
            tier = METHOD_TIERS.get(method, 3)
            needed = [self._bucket(f"method:{method}", self.limits.tiers[tier - 1], now)]
        if all(bucket.available(now) for bucket in needed):
            for bucket in needed:
                bucket.tokens -= 1
            return None
        return max(1, math.ceil(max(bucket.ready_at(now) for bucket in needed) - now))


class SlackSimulator(LoopbackServer):
    def __init__(
        self, token: str = "xoxb-simulated-token", clock: Clock | None = None, scopes: Iterable[str] | None = None
    ):
        """``scopes``: the bot token's, as the app's manifest grants them (None: every scope)."""
        super().__init__()
        self.token = token
        self.scopes = frozenset(scopes) if scopes is not None else None
        self.app_token = "xapp-1-simulated-app-token"
        self.app_id = APP_ID
        self._socket_link: SocketLink | None = None
        self.clock = clock or SystemClock()
        self.team_id = "T0SIMTEAM"
        self.bot_user_id = "U0BOT0001"
        self.lock = threading.RLock()
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.refusals: list[tuple[str, dict[str, Any]]] = []  # calls answered 429 by the rate limits
        self.triggers: dict[str, tuple[str, float]] = {}
        self.trigger_lifetime = TRIGGER_LIFETIME
        self.response_urls: dict[str, dict[str, Any]] = {}
        self.observers: list[Observer] = []
        self._rate_limits: dict[str, list[int]] = {}
        self._failures: dict[str, list[Any]] = {}
        self._limiter: Limiter | None = None
        self._outage_until = 0.0
        self._slow: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._event_ids = itertools.count(1)
        self._last_micros = 0
        self.add_user(self.bot_user_id, "fulfillbot", is_bot=True)

    # ----- workspace set-up -------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        tz: str = "UTC",
        is_bot: bool = False,
        real_name: str = "",
        deleted: bool = False,
        team_id: str = "",
    ) -> None:
        """``team_id``: another workspace's, for a Slack Connect guest in a shared channel."""
        offset = int(datetime.now(ZoneInfo(tz)).utcoffset().total_seconds())  # type: ignore[union-attr]
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": name,
            "real_name": real_name or name,
            "tz": tz,
            "tz_offset": offset,
            "is_bot": is_bot,
            "deleted": deleted,
            "profile": {"real_name": real_name or name, "display_name": name},
        }

    def add_channel(
        self, name: str, members: Sequence[str] = (), is_private: bool = False, bot_member: bool = False
    ) -> str:
        channel_id = f"{'G' if is_private else 'C'}{next(self._ids):08d}"
        channel = Channel(channel_id, name, is_private=is_private, members=set(members))
        if bot_member:
            channel.members.add(self.bot_user_id)
        self.channels[channel_id] = channel
        return channel_id

    def add_usergroup(self, handle: str, users: list[str]) -> str:
        group_id = f"S{next(self._ids):08d}"
        self.usergroups[group_id] = {"id": group_id, "handle": handle, "name": handle, "users": list(users)}
        return group_id

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        """The next ``times`` calls of ``method`` answer HTTP 429 with ``Retry-After``."""
        self._rate_limits[method] = [times, retry_after]

    def fail(self, method: str, times: int = 1, status: int = 503) -> None:
        """The next ``times`` calls of ``method`` answer with an HTTP error status, as during an outage."""
        self._failures[method] = [times, status]

    def enforce_rate_limits(self, limits: RateLimits | None = RateLimits()) -> None:
        """Refuse calls beyond Slack's limits with 429 and ``Retry-After``; None lifts the limits."""
        with self.lock:
            self._limiter = Limiter(limits) if limits is not None else None

    def outage(self, seconds: float = math.inf) -> None:
        """Every call (Web API and response URLs) answers 503 for ``seconds``, or until ``clear_faults``."""
        self._outage_until = time.monotonic() + seconds

    def slow(self, method: str, seconds: float) -> None:
        """Calls of ``method`` take ``seconds`` before they are answered (they still take effect)."""
        self._slow[method] = seconds

    def in_outage(self) -> bool:
        return time.monotonic() < self._outage_until

    def clear_faults(self) -> None:
        """Slack is healthy again: no more injected 429s, errors, outage or slowness."""
        self._rate_limits.clear()
        self._failures.clear()
        self._outage_until = 0.0
        self._slow.clear()

    def observe(self, observer: Observer) -> None:
        self.observers.append(observer)

    # ----- lookups for tests ------------------------------------------------------------------

    def channel_id(self, name_or_id: str) -> str:
        if name_or_id in self.channels:
            return name_or_id
        for channel in self.channels.values():
            if channel.name == name_or_id.lstrip("#"):
                return channel.id
        raise KeyError(name_or_id)

    def messages(self, channel: str, include_replies: bool = False) -> list[dict[str, Any]]:
        with self.lock:
            found = self.channels[self.channel_id(channel)].messages
            return [m for m in found if include_replies or _in_channel_view(m)]

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                m
                for m in self.channels[self.channel_id(channel)].messages
                if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
            ]

    def dm_channel(self, user_id: str) -> str:
        with self.lock:
            return self._open_conversation([user_id]).id

    def dms(self, user_id: str) -> list[dict[str, Any]]:
        return self.messages(self.dm_channel(user_id), include_replies=True)

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self.lock:
            for m in self.channels[self.channel_id(channel)].messages:
                if m["ts"] == ts:
                    return m
        raise KeyError(ts)

    def ephemerals_for(self, user_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.ephemerals if e["user"] == user_id]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [params for name, params in self.calls if name == method]

    # ----- state changes shared by the API and the driver --------------------------------------

    def next_event_id(self) -> str:
        """Event IDs are unique in a workspace, whichever replica an event is delivered to."""
        return f"Ev{next(self._event_ids):010d}"

    def next_ts(self) -> str:
        """A message ts as Slack makes them: seconds with six decimals, never repeated (integer
        microseconds, since a float near 1.8e9 cannot hold a step of one microsecond exactly)."""
        with self.lock:
            micros = max(int(self.clock.now().timestamp() * 1_000_000), self._last_micros + 1)
            self._last_micros = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def post(self, channel_id: str, user: str, text: str, **extra: Any) -> dict[str, Any]:
        with self.lock:
            channel = self.channels[channel_id]
            message: dict[str, Any] = {
                "type": "message",
                "channel": channel_id,
                "user": user,
                "text": text,
                "ts": self.next_ts(),
                **{k: v for k, v in extra.items() if v not in (None, "")},
            }
            if user == self.bot_user_id:
                message["bot_id"] = "B0BOT0001"
            thread_ts = message.get("thread_ts")
            if thread_ts:
                parent = next((m for m in channel.messages if m["ts"] == thread_ts), None)
                if parent is None:
                    raise SlackError("thread_not_found")
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent.setdefault("reply_users", [])
                if user not in parent["reply_users"]:
                    parent["reply_users"].append(user)
            channel.messages.append(message)
        self._notify("message", message)
        return message

    def delete_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """Delete a message as Slack does: one with thread replies becomes a tombstone (returned),
        one without is removed (None)."""
        with self.lock:
            channel = self.channels[channel_id]
            message = next(m for m in channel.messages if m["ts"] == ts)
            if message.get("reply_count"):
                message.update(subtype="tombstone", text="This message was deleted.", user="USLACKBOT", hidden=True)
                message.pop("blocks", None)
                return {k: v for k, v in message.items() if k != "channel"}
            channel.messages = [m for m in channel.messages if m["ts"] != ts]
            return None

    def react(self, channel_id: str, ts: str, user: str, name: str, add: bool = True) -> None:
        with self.lock:
            message = self.message(channel_id, ts)
            reactions = message.setdefault("reactions", [])
            reaction = next((r for r in reactions if r["name"] == name), None)
            if add:
                if reaction is None:
                    reaction = {"name": name, "users": [], "count": 0}
                    reactions.append(reaction)
                if user in reaction["users"]:
                    raise SlackError("already_reacted")
                reaction["users"].append(user)
            else:
                if reaction is None or user not in reaction["users"]:
                    raise SlackError("no_reaction")
                reaction["users"].remove(user)
                if not reaction["users"]:
                    reactions.remove(reaction)
            if reaction is not None:
                reaction["count"] = len(reaction["users"])
        self._notify(
            "reaction_added" if add else "reaction_removed",
            {"channel": channel_id, "ts": ts, "user": user, "name": name},
        )

    def issue_trigger(self, user_id: str) -> str:
        """A ``trigger_id``: it opens one view, within 3 seconds (real time)."""
        trigger = f"{next(self._ids)}.trigger"
        self.triggers[trigger] = (user_id, time.monotonic() + self.trigger_lifetime)
        return trigger

    def issue_response_url(self, base_url: str, user_id: str, channel_id: str, message_ts: str = "") -> str:
        """A ``response_url``: 5 uses within 30 minutes (of the simulator's clock)."""
        token = f"R{next(self._ids):08d}"
        self.response_urls[token] = {
            "user": user_id,
            "channel": channel_id,
            "message_ts": message_ts,
            "expires": self.clock.now() + RESPONSE_URL_LIFETIME,
            "uses": 0,
        }
        return f"{base_url}response/{token}"

    def _notify(self, kind: str, payload: dict[str, Any]) -> None:
        for observer in list(self.observers):
            observer(kind, payload)

    # ----- HTTP server --------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urlparse(path)
        if url.path.startswith("/upload/v1/") and method == "POST":
            return self._receive_upload(url.path.rsplit("/", 1)[-1], body)
        params = _parse_params(url.query, body, headers.get("content-type", ""))
        if url.path.startswith("/response/"):
            return self._response_url(url.path.rsplit("/", 1)[-1], params)
        if url.path.startswith("/api/"):
            return self._api(url.path[len("/api/") :], params, headers.get("authorization", ""))
        return 404, {"ok": False, "error": "not_found"}, {}

    def _api(self, method: str, params: dict[str, Any], authorization: str) -> Reply:
        if self.in_outage():
            return 503, {"ok": False, "error": "service_unavailable"}, {}
        with self.lock:
            self.calls.append((method, params))
            if self._limiter is not None:
                retry_after = self._limiter.check(method, str(params.get("channel", "")))
                if retry_after is not None:
                    self.refusals.append((method, params))
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
            limited = self._rate_limits.get(method)
            if limited and limited[0] > 0:
                limited[0] -= 1
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(limited[1])}
            failing = self._failures.get(method)
            if failing and failing[0] > 0:
                failing[0] -= 1
                return int(failing[1]), {"ok": False, "error": "service_unavailable"}, {}
        expected = self.app_token if method in APP_TOKEN_METHODS else self.token
        if authorization != f"Bearer {expected}":
            wrong_kind = authorization in (f"Bearer {self.token}", f"Bearer {self.app_token}")
            error = "not_allowed_token_type" if wrong_kind else "invalid_auth" if authorization else "not_authed"
            return 200, {"ok": False, "error": error}, {}
        implementation = getattr(self, "api_" + method.replace(".", "_"), None)
        if implementation is None:
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
        delay = self._slow.get(method)
        if delay:
            time.sleep(delay)
        try:
            with self.lock:
                result = implementation(params)
        except SlackError as exc:
            return 200, {"ok": False, "error": exc.error}, {}
        except KeyError as exc:
            return 200, {"ok": False, "error": "invalid_arguments", "detail": f"missing {exc}"}, {}
        return 200, {"ok": True, **result}, {}

    def _response_url(self, token: str, params: dict[str, Any]) -> Reply:
        if self.in_outage():
            return 503, {"ok": False, "error": "service_unavailable"}, {}
        with self.lock:
            target = self.response_urls.get(token)
            if target is None or target["uses"] >= RESPONSE_URL_USES or self.clock.now() > target["expires"]:
                return 404, {"ok": False, "error": "expired_url"}, {}
            target["uses"] += 1
            self.calls.append(("response_url", params))
            if isinstance(params.get("text"), str):
                params = {**params, "text": params["text"][:TEXT_LIMIT]}  # Slack cuts longer text off
            if params.get("replace_original") and target["message_ts"]:
                self.api_chat_update({"channel": target["channel"], "ts": target["message_ts"], **params})
            elif params.get("response_type") == "in_channel":
                self.post(target["channel"], self.bot_user_id, params.get("text", ""), blocks=params.get("blocks"))
            else:
                self._ephemeral(target["channel"], target["user"], params)
        return 200, {"ok": True}, {}

    def _ephemeral(self, channel_id: str, user_id: str, params: dict[str, Any]) -> dict[str, Any]:
        entry = {
            "channel": channel_id,
            "user": user_id,
            "text": params.get("text", ""),
            "blocks": params.get("blocks") or [],
            "ts": self.next_ts(),
        }
        self.ephemerals.append(entry)
        self._notify("ephemeral", entry)
        return entry

    # ----- Web API methods ----------------------------------------------------------------------

    def _channel(self, ref: str) -> Channel:
        """A channel by ID (C…, G…, D…), as every method but posting takes it."""
        channel = self.channels.get(ref)
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _destination(self, ref: str) -> Channel:
        """Where ``chat.postMessage`` and ``chat.postEphemeral`` post: a channel ID, a user ID (their
        DM with the bot), or a channel's name."""
        if ref in self.users:
            return self._open_conversation([ref])
        name = ref.lstrip("#")
        named = next((c for c in self.channels.values() if c.name == name and not c.is_im), None)
        return named if named is not None and ref not in self.channels else self._channel(ref)

    def _open_conversation(self, users: list[str]) -> Channel:
        members = {*users, self.bot_user_id}
        for channel in self.channels.values():
            if (channel.is_im or channel.is_mpim) and channel.members == members:
                return channel
        for user in users:
            if user not in self.users:
                raise SlackError("user_not_found")
        is_im = len(users) == 1
        channel_id = f"{'D' if is_im else 'G'}{next(self._ids):08d}"
        name = users[0] if is_im else "mpdm-" + "--".join(sorted(users))
        channel = Channel(channel_id, name, is_private=True, is_im=is_im, is_mpim=not is_im, members=members)
        self.channels[channel_id] = channel
        return channel

    def _page(self, items: list[Any], params: dict[str, Any]) -> tuple[list[Any], dict[str, str]]:
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        page = items[start : start + limit]
        following = start + limit
        return page, {"next_cursor": str(following) if following < len(items) else ""}

    @property
    def socket_link(self) -> SocketLink:
        """The Socket Mode endpoint, started on first use."""
        with self.lock:
            if self._socket_link is None:
                self._socket_link = SocketLink(self.app_id).start()
            return self._socket_link

    def stop(self) -> None:
        if self._socket_link is not None:
            self._socket_link.stop()
        super().stop()

    def api_apps_connections_open(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket_link.issue_url()}

    def api_auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://simulated.slack.local/",
            "team": "Simulated",
            "team_id": self.team_id,
            "user": "fulfillbot",
            "user_id": self.bot_user_id,
            "bot_id": "B0BOT0001",
        }

    def api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(params["user"])
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def api_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """Everyone, as Slack lists them: Slackbot and deleted users too, and pages that may come back
        shorter than ``limit`` before the last one."""
        members = [SLACKBOT, *self.users.values()]
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        size = max(1, limit - 1) if start == 0 else limit
        page = members[start : start + size]
        following = start + size
        return {
            "members": page,
            "response_metadata": {"next_cursor": str(following) if following < len(members) else ""},
        }

    def api_conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        types = set(str(params.get("types") or "public_channel").split(","))
        visible = [
            c.describe(self.bot_user_id)
            for c in self.channels.values()
            if not (c.is_im or c.is_mpim)
            and (
                ("private_channel" in types and c.is_private and self.bot_user_id in c.members)
                or ("public_channel" in types and not c.is_private)
            )
        ]
        page, meta = self._page(visible, params)
        return {"channels": page, "response_metadata": meta}

    def api_users_conversations(self, params: dict[str, Any]) -> dict[str, Any]:
        """The channels the bot is a member of (Slack leaves ``is_member`` out: it is implied)."""
        types = set(str(params.get("types") or "public_channel").split(","))
        mine = [
            {k: v for k, v in c.describe(self.bot_user_id).items() if k != "is_member"}
            for c in self.channels.values()
            if self.bot_user_id in c.members
            and not (c.is_im or c.is_mpim)
            and ("private_channel" if c.is_private else "public_channel") in types
        ]
        page, meta = self._page(mine, params)
        return {"channels": page, "response_metadata": meta}

    def api_conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params["channel"])
        if channel.is_private and self.bot_user_id not in channel.members:
            raise SlackError("channel_not_found")  # a private channel does not exist for those outside it
        return {"channel": channel.describe(self.bot_user_id)}

    def api_conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params["channel"])
        if channel.is_private:
            raise SlackError("method_not_supported_for_channel_type")
        channel.members.add(self.bot_user_id)
        return {"channel": channel.describe(self.bot_user_id)}

    def api_conversations_create(self, params: dict[str, Any]) -> dict[str, Any]:
        """Slack's channel-name rules: 1 to 80 characters of lowercase letters, digits, ``-`` and ``_``
        (not only punctuation), unique among all channels, archived ones included."""
        name = str(params.get("name") or "")
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > CHANNEL_NAME_LIMIT:
            raise SlackError("invalid_name_maxlength")
        if not re.fullmatch(r"[a-z0-9_-]+", name):
            raise SlackError("invalid_name_specials")
        if not re.search(r"[a-z0-9]", name):
            raise SlackError("invalid_name_punctuation")
        if any(c.name == name for c in self.channels.values() if not (c.is_im or c.is_mpim)):
            raise SlackError("name_taken")
        channel_id = self.add_channel(name, is_private=_true(params.get("is_private")), bot_member=True)
        return {"channel": self.channels[channel_id].describe(self.bot_user_id)}

    def api_conversations_invite(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params["channel"])
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        if not users:
            raise SlackError("no_user")
        if self.bot_user_id in users:
            raise SlackError("cant_invite_self")
        if any(u not in self.users or self.users[u].get("deleted") for u in users):
            raise SlackError("user_not_found")
        if set(users) <= channel.members:
            raise SlackError("already_in_channel")
        channel.members.update(users)
        return {"channel": channel.describe(self.bot_user_id)}

    def api_conversations_archive(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params["channel"])
        if channel.is_archived:
            raise SlackError("already_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        channel.is_archived = True
        return {}

    def api_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        return {"channel": {"id": self._open_conversation(users).id}}

    def api_conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        page, meta = self._page(sorted(self._channel(params["channel"]).members), params)
        return {"members": page, "response_metadata": meta}

    def _readable(self, ref: str) -> Channel:
        """A channel whose messages the token may read: Slack answers ``missing_scope`` without the
        history scope of its kind (``im:history``, ``mpim:history``, ``groups:history``, ...)."""
        channel = self._channel(ref)
        kind = "im" if channel.is_im else "mpim" if channel.is_mpim else "groups" if channel.is_private else "channels"
        if self.scopes is not None and f"{kind}:history" not in self.scopes:
            raise SlackError("missing_scope")
        return channel

    def api_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable(params["channel"])
        top = [m for m in reversed(channel.messages) if _in_channel_view(m)]
        page, meta = self._page(_with_metadata(top, params), params)
        return {"messages": page, "has_more": bool(meta["next_cursor"]), "response_metadata": meta}

    def api_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable(params["channel"])
        ts = params["ts"]
        thread = [m for m in channel.messages if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            raise SlackError("thread_not_found")
        page, meta = self._page(_with_metadata(thread, params), params)
        return {"messages": page, "has_more": bool(meta["next_cursor"]), "response_metadata": meta}

    def api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._destination(params["channel"])
        if not params.get("text") and not params.get("blocks"):
            raise SlackError("no_text")
        _check_message(params)
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        message = self.post(
            channel.id,
            self.bot_user_id,
            params.get("text", ""),
            blocks=params.get("blocks"),
            thread_ts=params.get("thread_ts"),
            subtype="thread_broadcast" if params.get("thread_ts") and _true(params.get("reply_broadcast")) else None,
            metadata=_metadata(params.get("metadata")),
        )
        return {"channel": channel.id, "ts": message["ts"], "message": _with_metadata([message], params)[0]}

    def api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params["channel"])
        _check_message(params)
        message = next((m for m in channel.messages if m["ts"] == params["ts"]), None)
        if message is None:
            raise SlackError("message_not_found")
        if message["user"] != self.bot_user_id:
            raise SlackError("cant_update_message")
        if "text" in params:
            message["text"] = params["text"]
        if "blocks" in params:
            message["blocks"] = params["blocks"]
        message["edited"] = {"user": self.bot_user_id, "ts": self.next_ts()}
        self._notify("update", message)
        return {"channel": channel.id, "ts": message["ts"], "text": message["text"]}

    def api_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params["channel"])
        before = len(channel.messages)
        channel.messages = [m for m in channel.messages if m["ts"] != params["ts"]]
        if len(channel.messages) == before:
            raise SlackError("message_not_found")
        return {"channel": channel.id, "ts": params["ts"]}

    def api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._destination(params["channel"])
        _check_message(params)
        if params["user"] not in self.users:
            raise SlackError("user_not_found")
        entry = self._ephemeral(channel.id, params["user"], params)
        return {"message_ts": entry["ts"]}

    def api_chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params["channel"])
        if channel.is_private and self.bot_user_id not in channel.members:
            raise SlackError("channel_not_found")
        if not any(m["ts"] == str(params["message_ts"]) for m in channel.messages):
            raise SlackError("message_not_found")
        ts = str(params["message_ts"])
        return {
            "channel": channel.id,
            "permalink": f"https://simulated.slack.local/archives/{channel.id}/p{ts.replace('.', '')}",
        }

    def api_reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        self.react(self._channel(params["channel"]).id, params["timestamp"], self.bot_user_id, params["name"])
        return {}

    def api_reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        self.react(
            self._channel(params["channel"]).id,
            params["timestamp"],
            self.bot_user_id,
            params["name"],
            add=False,
        )
        return {}

    def api_usergroups_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """Each group with its ``users`` only when ``include_users`` is true, as Slack does."""
        include = str(params.get("include_users", "")).lower() in ("true", "1")
        return {
            "usergroups": [
                {**g, "user_count": len(g["users"])} if include else {k: v for k, v in g.items() if k != "users"}
                for g in self.usergroups.values()
            ]
        }

    def api_usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(params["usergroup"])
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": group["users"]}

    def api_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        """Step 1 of Slack's upload flow: a URL to send the bytes to, for a declared name and length."""
        filename, length = str(params.get("filename") or ""), str(params.get("length") or "")
        if not filename or not length.isdigit() or int(length) < 1:
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = {"id": file_id, "name": filename, "length": int(length), "data": None}
        self.uploads[file_id]["alt_txt"] = str(params.get("alt_txt") or "")
        return {"upload_url": f"{self.base_url}upload/v1/{file_id}", "file_id": file_id}

    def _receive_upload(self, file_id: str, body: bytes) -> Reply:
        """Step 2: the bytes, which must be as long as declared."""
        with self.lock:
            upload = self.uploads.get(file_id)
            if upload is None:
                return 404, {"ok": False, "error": "not_found"}, {}
            if len(body) != upload["length"]:
                return 400, {"ok": False, "error": "length_mismatch"}, {}
            upload["data"] = body
        return 200, {"ok": True}, {}

    def api_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        """Step 3: the uploaded files are shared in ``channel_id`` (with ``initial_comment``)."""
        wanted = params.get("files")
        if not isinstance(wanted, list) or not wanted:
            raise SlackError("invalid_arguments")
        shared = []
        for item in wanted:
            upload = self.uploads.get(str(item.get("id", "")) if isinstance(item, dict) else "")
            if upload is None or upload["data"] is None:
                raise SlackError("file_not_found")
            is_png = upload["data"].startswith(PNG_SIGNATURE)
            shared.append(
                {
                    "id": upload["id"],
                    "name": upload["name"],
                    "title": str(item.get("title") or upload["name"]),
                    "mimetype": "image/png" if is_png else "application/octet-stream",
                    "alt_txt": upload["alt_txt"],
                    "size": upload["length"],
                }
            )
        channel_id = params.get("channel_id")
        if channel_id:
            channel = self._channel(str(channel_id))
            if self.bot_user_id not in channel.members:
                raise SlackError("not_in_channel")
            message = self.post(channel.id, self.bot_user_id, str(params.get("initial_comment") or ""))
            message["files"] = shared
            for item in shared:
                self._notify("file", {"channel": channel.id, **item, "data": self.uploads[item["id"]]["data"]})
        return {"files": shared}

    def files_in(self, channel: str) -> list[dict[str, Any]]:
        """The files shared in a channel (or a user's DM), each with its bytes under ``data``."""
        return [
            {**f, "data": self.uploads[f["id"]]["data"]}
            for m in self.messages(self.dm_channel(channel) if channel in self.users else self.channel_id(channel))
            for f in m.get("files", [])
        ]

    def api_usergroups_users_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replaces the members (a comma-separated ``users``, at least one, every one a known user)."""
        group = self.usergroups.get(params["usergroup"])
        if group is None:
            raise SlackError("no_such_subteam")
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise SlackError("no_users_provided")
        if any(u not in self.users or self.users[u].get("deleted") for u in users):
            raise SlackError("invalid_users")
        group["users"] = users
        self._notify("usergroup", group)
        return {"usergroup": {**group, "users": list(users), "user_count": len(users)}}

    def _store_view(self, view: dict[str, Any], user: str, view_id: str | None = None) -> dict[str, Any]:
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            raise SlackError("invalid_arguments")
        if view_problems(view):
            raise SlackError("invalid_blocks")
        stored = {
            **view,
            "id": view_id or f"V{next(self._ids):08d}",
            "hash": f"h{next(self._ids)}",
            "user": user,
        }
        self.views[stored["id"]] = stored
        self._notify("view", stored)
        return stored

    def _trigger_user(self, params: dict[str, Any]) -> str:
        issued = self.triggers.pop(str(params.get("trigger_id", "")), None)
        if issued is None:
            raise SlackError("invalid_trigger_id")
        user, expires = issued
        if time.monotonic() > expires:
            raise SlackError("expired_trigger_id")
        return user

    def api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"view": self._store_view(params["view"], self._trigger_user(params))}

    def api_views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"view": self._store_view(params["view"], self._trigger_user(params))}

    def api_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if view_id not in self.views:
            raise SlackError("not_found")
        if params.get("hash") and params["hash"] != self.views[view_id]["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self._store_view(params["view"], self.views[view_id]["user"], view_id)}

    def api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = params["user_id"]
        if user not in self.users:
            raise SlackError("user_not_found")
        stored = self._store_view(params["view"], user, self.home_views.get(user, {}).get("id"))
        self.home_views[user] = stored
        return {"view": stored}


def _check_message(params: dict[str, Any]) -> None:
    """Slack refuses text over 40,000 characters, and blocks beyond Block Kit's limits."""
    if len(str(params.get("text") or "")) > TEXT_LIMIT:
        raise SlackError("msg_too_long")
    if params.get("blocks") is not None and block_problems(params["blocks"], MESSAGE_BLOCKS):
        raise SlackError("invalid_blocks")


def _metadata(raw: Any) -> dict[str, Any] | None:
    """Message metadata as Slack keeps it: an ``event_type`` and an ``event_payload`` object."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("event_type"), str):
        raise SlackError("invalid_metadata_format")
    if not isinstance(raw.get("event_payload"), dict):
        raise SlackError("invalid_metadata_format")
    return {"event_type": raw["event_type"], "event_payload": raw["event_payload"]}


def _with_metadata(messages: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """Slack returns a message's metadata only to a reader that asks with ``include_all_metadata``."""
    if _true(params.get("include_all_metadata")):
        return messages
    return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]


def _in_channel_view(message: dict[str, Any]) -> bool:
    """Top-level messages, and thread replies also sent to the channel."""
    return message.get("thread_ts") in (None, message["ts"]) or message.get("subtype") == "thread_broadcast"


def _true(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _parse_params(query: str, raw: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if raw and "json" in content_type:
        params.update(json.loads(raw))
    elif raw:
        params.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    for key in ("replace_original", "delete_original"):
        if key in params:
            params[key] = _true(params[key])
    return params
