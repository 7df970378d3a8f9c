"""Slack effects: what a unit of work records (posts, DMs, updates, replies to a person), and how
they are sent.

A message the bot will post can be given a ``ref`` (``incident:12``). Replies and updates name
that ref instead of a ts, so they can be decided before the post is delivered: the post goes
first (same lane), and the sender looks its channel and ts up in ``slack_messages``.
User-group mentions are written as ``usergroup_mention(handle)`` and resolved when sent, so
deciding a nudge never calls ``usergroups.list``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlparse

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from slackbot.channels import forget_channel
from slackbot.db import Database, refuse_in_write_transaction
from slackbot.effects import Effect, effect_of
from slackbot.models import OutboxItem, SlackMessage
from slackbot.mrkdwn import is_user_id
from slackbot.outbox import (
    Delivery,
    DeliveryError,
    Effects,
    Gone,
    NeedsOperator,
    Priority,
    RateLimited,
    Refused,
    Sender,
    TryAgain,
)
from slackbot.ratelimit import POST_MESSAGE, Call

if TYPE_CHECKING:
    from slackbot.work import Work


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackCall(Effect):
    """A Web API call that speaks in a conversation (post, update, ephemeral). ``thread_ref`` and
    ``update_ref`` name the bot's own message, looked up when sent; ``repost`` posts an update again
    if the message was deleted."""

    KIND: ClassVar[str] = "slack"
    method: str
    params: dict[str, Any]
    thread_ref: str = ""
    update_ref: str = ""
    repost: bool = False


@dataclass(frozen=True)
class Respond(Effect):
    """An answer through a request's ``response_url``."""

    KIND: ClassVar[str] = "slack.respond"
    url: str
    text: str
    replace_original: bool = False


@dataclass(frozen=True)
class GroupDM(Effect):
    """A message to the group DM of these people, opened when it is sent."""

    KIND: ClassVar[str] = "slack.group_dm"
    users: list[str]
    text: str


OUTBOX_EVENT = "fulfillbot_outbox"  # the metadata event type that names a post's outbox row
_PLACEHOLDER = re.compile(r"<!usergroup-handle\^([A-Za-z0-9._-]+)>")
USERGROUPS_TTL = 600.0

# Refusals an operator can fix (a scope, an invitation, a token): kept for `fulfillbot parked retry`.
PARK_ERRORS = {
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "missing_scope",
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "restricted_action",
    "team_access_not_granted",
    "ekm_access_denied",
}
RETRY_ERRORS = {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
GONE_ERRORS = {"thread_not_found", "message_not_found"}  # deleted in Slack meanwhile: nothing to fix
NOT_SENT_STATUSES = {429, 503}  # Slack refused the request before acting on it


def usergroup_mention(handle: str) -> str:
    """A mention of the user group with this handle, resolved to ``<!subteam^ID>`` when it is sent."""
    return f"<!usergroup-handle^{handle.lstrip('@')}>"


def lane_of(channel: str) -> str:
    return f"slack:{channel}"


def permalink(team_url: str, channel: str, ts: str) -> str:
    """A top-level message's link, in the form Slack's ``chat.getPermalink`` returns."""
    return f"{team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def posted(session: Session, ref: str) -> SlackMessage | None:
    return session.get(SlackMessage, ref)


class SlackEffects:
    """The Slack verbs of a unit of work; each records one outbox row."""

    def __init__(self, out: Effects):
        self.out = out

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        ref: str | None = None,
        thread_ts: str | None = None,
        thread_ref: str | None = None,
        broadcast: bool = False,
        priority: Priority = Priority.NORMAL,
        group: str | None = None,
        key: str | None = None,
    ) -> OutboxItem | None:
        """``chat.postMessage`` to a channel ID, or to a user ID for a DM; in the thread of a known
        ``thread_ts`` or of the bot's own message ``thread_ref``."""
        params: dict[str, Any] = {"channel": channel, "text": text}
        if blocks is not None:
            params["blocks"] = blocks
        if thread_ts:
            params["thread_ts"] = thread_ts
        if broadcast:
            params["reply_broadcast"] = True
        call = SlackCall(POST_MESSAGE, params, thread_ref=thread_ref or "")
        return self.out.add_effect(call, lane=lane_of(channel), priority=priority, ref=ref, group=group, key=key)

    @staticmethod
    def rewrite(row: OutboxItem, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Change what a post decided in this same unit of work will say, before it is sent."""
        params = {**row.args["params"], "text": text}
        if blocks is not None:
            params["blocks"] = blocks
        row.args = {**row.args, "params": params}

    def update(
        self,
        ref: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        priority: Priority = Priority.NORMAL,
        repost: bool = False,
    ) -> None:
        """``chat.update`` of the bot's message ``ref``, once it is posted. Updates of one message
        coalesce: only the latest pending one is sent. With ``repost``, a message someone deleted is
        posted again (and ``ref`` then names the new one)."""
        params: dict[str, Any] = {"text": text}
        if blocks is not None:
            params["blocks"] = blocks
        call = SlackCall("chat.update", params, update_ref=ref, repost=repost)
        self.out.add_effect(call, lane=self._lane_of_ref(ref), priority=priority, ref=ref, coalesce=f"update:{ref}")

    def _lane_of_ref(self, ref: str) -> str:
        message = posted(self.out.session, ref)
        if message is not None:
            return message.lane
        lane = self.out.session.scalar(
            select(OutboxItem.lane).where(OutboxItem.ref == ref).order_by(OutboxItem.id).limit(1)
        )
        return lane or f"slack:ref:{ref}"

    def respond(
        self, response_url: str, text: str, *, replace_original: bool = False, priority: Priority = Priority.NORMAL
    ) -> None:
        """An ephemeral answer through a request's ``response_url`` (or the original message replaced)."""
        if not usable_url(response_url):
            if response_url:
                log.warning("dropped an answer to an unusable response_url")
            return
        lane = "respond:" + hashlib.sha1(response_url.encode()).hexdigest()[:16]
        self.out.add_effect(Respond(response_url, text, replace_original), lane=lane, priority=priority)

    def group_dm(self, users: list[str], text: str, priority: Priority = Priority.NORMAL) -> None:
        """A message to a group DM with these people (opened when it is sent)."""
        members = sorted(set(users))
        self.out.add_effect(GroupDM(members, text), lane="slack:mpim:" + ",".join(members), priority=priority)


def usable_url(url: str) -> bool:
    """A ``response_url`` worth trying: Slack's are https URLs of a few hundred characters."""
    try:
        parts = urlparse(url)
        return parts.scheme in ("https", "http") and bool(parts.hostname) and len(url) <= 2000
    except ValueError:
        return False


class UserGroups:
    """Handle → ID of the workspace's user groups, read with ``usergroups.list`` at most every 10 minutes."""

    def __init__(self, client: WebClient):
        self.client = client
        self._ids: dict[str, str] = {}
        self._read_at = 0.0
        self._lock = threading.Lock()

    def mention(self, handle: str) -> str:
        with self._lock:
            if time.monotonic() - self._read_at > USERGROUPS_TTL or handle not in self._ids:
                self._refresh()
            found = self._ids.get(handle)
        if found is None:
            log.warning("user group @%s not found; mentioning it as text", handle)
            return f"@{handle}"
        return f"<!subteam^{found}>"

    def _refresh(self) -> None:
        try:
            groups = self.client.usergroups_list()["usergroups"]
        except SlackApiError as exc:
            log.warning("could not list user groups (%s)", exc.response.get("error"))
            return
        self._ids = {str(g.get("handle")): str(g["id"]) for g in groups}
        self._read_at = time.monotonic()

    def resolve(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.mention(m.group(1)), text)


def slack_failure(exc: Exception, call: Call) -> DeliveryError:
    """What a failed Web API call means for its outbox row."""
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error", ""))
        status = exc.response.status_code
        if status == 429:
            retry_after = float(exc.response.headers.get("Retry-After", 1) or 1)
            return RateLimited(f"{call.method}: ratelimited", call, retry_after)
        if status >= 500 or error in RETRY_ERRORS:
            unsure = status not in NOT_SENT_STATUSES and error != "service_unavailable"
            return TryAgain(f"{call.method}: HTTP {status} {error}".strip(), maybe_sent=unsure)
        refusal = NeedsOperator if error in PARK_ERRORS else Gone if error in GONE_ERRORS else Refused
        return refusal(f"{call.method}: {error or status}")
    return TryAgain(f"{call.method}: {type(exc).__name__}: {exc}", maybe_sent=_timed_out(exc))


def _timed_out(exc: BaseException) -> bool:
    """A timeout after the request went out: Slack may have posted it. (A refused connection never arrived.)"""
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, TimeoutError | socket.timeout) or "timed out" in str(exc)


def outbox_metadata(delivery_id: int) -> dict[str, Any]:
    return {"event_type": OUTBOX_EVENT, "event_payload": {"outbox_id": delivery_id}}


def find_posted(client: WebClient, channel: str, thread_ts: str | None, delivery_id: int) -> dict[str, Any] | None:
    """The post this outbox row made, if an earlier attempt did reach Slack (read back by its metadata)."""
    if is_user_id(channel):
        channel = client.conversations_open(users=channel)["channel"]["id"]
    if thread_ts:
        found = client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True, limit=200)
    else:
        found = client.conversations_history(channel=channel, include_all_metadata=True, limit=100)
    messages: list[dict[str, Any]] = found.get("messages", [])
    for message in messages:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == OUTBOX_EVENT and payload.get("outbox_id") == delivery_id:
            return {"channel": channel, "ts": message["ts"]}
    return None


def post_once(client: WebClient, delivery: Delivery, params: dict[str, Any]) -> dict[str, Any]:
    """``chat.postMessage`` carrying its outbox row's ID; when an earlier attempt may have reached
    Slack (a crash, a timeout), it is looked for first and not posted twice. A failure names the
    call that failed: the look (``conversations.history`` or ``.replies``) or the post."""
    channel, thread_ts = str(params.get("channel", "")), params.get("thread_ts")
    if delivery.maybe_sent:
        look = Call("conversations.replies" if thread_ts else "conversations.history", channel, delivery.urgent)
        try:
            found = find_posted(client, channel, thread_ts, delivery.id)
        except Exception as exc:
            raise slack_failure(exc, look) from None
        if found is not None:
            log.warning("outbox item %s had reached Slack before; not posting it again", delivery.id)
            return found
    try:
        answer = client.api_call(POST_MESSAGE, json={**params, "metadata": outbox_metadata(delivery.id)})
    except Exception as exc:
        raise slack_failure(exc, Call(POST_MESSAGE, channel, delivery.urgent)) from None
    return {"channel": answer["channel"], "ts": answer["ts"]}


class SlackSender:
    """Sends the ``slack`` kind: one Web API call, with its refs and mentions resolved first."""

    def __init__(self, client: WebClient, db: Database, usergroups: UserGroups):
        self.client = client
        self.db = db
        self.usergroups = usergroups

    def sender(self) -> Sender:
        return Sender(send=self.send, calls=self.calls, failed=self.failed)

    def failed(self, work: Work, delivery: Delivery, error: str) -> None:
        """A configured channel Slack no longer knows (deleted, or converted to private) is looked up
        again at the next start instead of being trusted from the cache for ever."""
        if error.endswith("channel_not_found"):
            forget_channel(work.session, str(effect_of(delivery, SlackCall).params.get("channel", "")))

    def calls(self, delivery: Delivery) -> list[Call]:
        call = effect_of(delivery, SlackCall)
        return [Call(call.method, str(call.params.get("channel", "")), delivery.urgent)]

    def send(self, delivery: Delivery) -> dict[str, Any]:
        effect = effect_of(delivery, SlackCall)
        method, params = effect.method, dict(effect.params)
        if isinstance(params.get("text"), str):
            params["text"] = self.usergroups.resolve(params["text"])
        if "blocks" in params:
            params["blocks"] = _resolve_blocks(params["blocks"], self.usergroups.resolve)
        for ref, ts_key in ((effect.thread_ref, "thread_ts"), (effect.update_ref, "ts")):
            if ref:
                found = self._posted(ref)
                if found is None:
                    raise Refused(f"{method}: the message {ref} was never posted")
                params["channel"], params[ts_key] = found.channel, found.ts
        if method == POST_MESSAGE:
            return post_once(self.client, delivery, params)
        call = Call(method, str(params.get("channel", "")), delivery.urgent)
        try:
            answer = self.client.api_call(method, json=params)
        except SlackApiError as exc:
            if effect.repost and exc.response.get("error") == "message_not_found":
                log.warning("the message %s was deleted in Slack; posting it again", effect.update_ref)
                return post_once(self.client, delivery, {k: v for k, v in params.items() if k != "ts"})
            raise slack_failure(exc, call) from None
        except Exception as exc:
            raise slack_failure(exc, call) from None
        return {"channel": answer.get("channel", params.get("channel")), "ts": answer.get("ts") or params.get("ts")}

    def _posted(self, ref: str) -> SlackMessage | None:
        with self.db.reading() as session:
            return posted(session, ref)


def _resolve_blocks(value: Any, resolve: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return resolve(value)
    if isinstance(value, list):
        return [_resolve_blocks(v, resolve) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_blocks(v, resolve) for k, v in value.items()}
    return value


def respond_sender() -> Sender:
    """Answers through a ``response_url`` (valid 5 times in 30 minutes; the bot uses each once or twice)."""

    def send(delivery: Delivery) -> dict[str, Any]:
        answer = effect_of(delivery, Respond)
        refuse_in_write_transaction("response_url")
        body: dict[str, Any] = {
            "text": answer.text,
            "response_type": "ephemeral",
            "replace_original": answer.replace_original,
        }
        try:
            response = WebhookClient(answer.url, timeout=10).send_dict(body)
        except Exception as exc:
            raise TryAgain(f"response_url: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise TryAgain(f"response_url: HTTP {response.status_code}")
        if response.status_code >= 400:  # expired or used up (5 uses, 30 minutes): nothing to fix
            raise Gone(f"response_url: HTTP {response.status_code} {response.body}")
        return {}

    return Sender(send=send)


def group_dm_sender(client: WebClient) -> Sender:
    def send(delivery: Delivery) -> dict[str, Any]:
        message = effect_of(delivery, GroupDM)
        opened = Call("conversations.open", "", delivery.urgent)
        try:
            channel = client.conversations_open(users=",".join(message.users))["channel"]["id"]
        except Exception as exc:
            raise slack_failure(exc, opened) from None
        return post_once(client, delivery, {"channel": channel, "text": message.text})

    def calls(delivery: Delivery) -> list[Call]:
        return [Call("conversations.open", "", delivery.urgent)]

    return Sender(send=send, calls=calls)
