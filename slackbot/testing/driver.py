"""Drives the bot as Slack does: signed HTTP requests into ``/slack/events``, or, in Socket Mode,
envelopes over the simulator's WebSocket (``socket_mode=True``), each acknowledged within 3 s.

Events, slash commands, button clicks (found by their visible text in a posted message or a view,
echoing its ``action_id`` and ``value``), modal submissions and message shortcuts. What a person
does (post, react, delete) is first applied to the simulator's state, then sent as the event
Slack would send. After each request the driver waits for the bot to finish (``settle``), so a
test reads the outcome without sleeping.

Slack waits 3 seconds for an answer. An event answered late or not 2xx is delivered again (with
``X-Slack-Retry-Num``, up to three times), and only then; a command or an interaction answered late
is an error the person sees, which the driver raises as ``AnsweredLate``. In Socket Mode the same
holds for the ack of an envelope, and an event's redelivery carries ``retry_attempt``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from slackbot.testing.slack_sim import APP_ID as API_APP_ID
from slackbot.testing.slack_sim import SlackSimulator

DEADLINE = 3.0
RETRIES = 3


class ButtonNotFound(AssertionError):
    pass


class AnsweredLate(AssertionError):
    """The bot did not answer a command or an interaction within Slack's 3 seconds."""


def typed(text: str) -> str:
    """What a person typed, as Slack sends it in an event: ``&``, ``<`` and ``>`` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Answered(Protocol):
    """What Slack got back: an HTTP answer, or a Socket Mode ack read the same way."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


@dataclass
class SocketAck:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class SlackDriver:
    def __init__(
        self,
        sim: SlackSimulator,
        bot_url: str,
        signing_secret: str,
        settle: Callable[[], None] = lambda: None,
        socket_mode: bool = False,
    ):
        self.sim = sim
        self.url = bot_url.rstrip("/") + "/slack/events"
        self.verifier = SignatureVerifier(signing_secret)
        self.settle = settle
        self.socket_mode = socket_mode
        self.last_sent: tuple[str, dict[str, str]] = ("", {})
        self.retried: list[str] = []  # why Slack delivered an event again: http_timeout or http_error

    # ----- raw requests -----------------------------------------------------------------------

    def signed_headers(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": str(self.verifier.generate_signature(timestamp=stamp, body=body)),
        }

    def send(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
    ) -> Answered:
        all_headers = {
            "Content-Type": content_type,
            **self.signed_headers(body, timestamp),
            **(headers or {}),
        }
        self.last_sent = (body, all_headers)
        response = self.post(body, all_headers)
        self.settle()
        return response

    def replay(self) -> Answered:
        """Send the last request again, byte for byte with its signature, as an attacker who caught
        it would (within the replay window)."""
        body, headers = self.last_sent
        response = self.post(body, headers)
        self.settle()
        return response

    def post(self, body: str, headers: dict[str, str]) -> Answered:
        """One request, held to Slack's deadline: an interaction answered late raises ``AnsweredLate``."""
        if self.socket_mode:
            return self._over_socket(body, headers)
        try:
            return requests.post(self.url, data=body.encode(), headers=headers, timeout=DEADLINE)
        except requests.Timeout:
            raise AnsweredLate(f"no answer within {DEADLINE:g} s: Slack shows the person an error") from None

    def _over_socket(self, body: str, headers: dict[str, str]) -> Answered:
        """The same request as a Socket Mode envelope: the ack's payload stands for the HTTP body."""
        if headers.get("Content-Type") == "application/json":
            kind, payload = "events_api", json.loads(body)
        else:
            fields = {k: v[-1] for k, v in parse_qs(body).items()}
            kind, payload = (
                ("interactive", json.loads(fields["payload"])) if "payload" in fields else ("slash_commands", fields)
            )
        retry = int(headers.get("X-Slack-Retry-Num", 0))
        envelope = self.sim.socket_link.deliver(kind, payload, retry, "timeout" if retry else "")
        if envelope.ack is None:
            raise AnsweredLate(f"envelope {envelope.envelope_id} ({kind}) was not acknowledged within {DEADLINE:g} s")
        return SocketAck(200, json.dumps(envelope.ack) if envelope.ack else "")

    def send_event(self, event: dict[str, Any], event_id: str | None = None, retry_num: int | None = None) -> Answered:
        """POST an Events API envelope; ``retry_num`` adds Slack's retry headers, as for a redelivery."""
        envelope = {
            "token": "verification-token-unused",
            "team_id": self.sim.team_id,
            "api_app_id": API_APP_ID,
            "event": {"event_ts": event.get("ts") or self.sim.next_ts(), **event},
            "type": "event_callback",
            "event_id": event_id or self.sim.next_event_id(),
            "event_time": int(self.sim.clock.now().timestamp()),
            "authorizations": [{"team_id": self.sim.team_id, "user_id": self.sim.bot_user_id, "is_bot": True}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.deliver(json.dumps(envelope), headers)

    def deliver(self, body: str, headers: dict[str, str] | None = None) -> Answered:
        """An Events API request as Slack sends it: again, with its retry headers, while the answer is
        late or not 2xx (up to three retries); never again after a timely 2xx."""
        extra = dict(headers or {})
        response: Answered | None = None
        for attempt in range(RETRIES + 1):
            all_headers = {"Content-Type": "application/json", **self.signed_headers(body), **extra}
            try:
                response = self.post(body, all_headers)
                if 200 <= response.status_code < 300:
                    break
                reason = "http_error"
            except AnsweredLate:
                reason = "http_timeout"
            self.retried.append(reason)
            extra = {"X-Slack-Retry-Num": str(attempt + 1), "X-Slack-Retry-Reason": reason}
        self.settle()
        if response is None:
            raise AnsweredLate(f"no timely answer to an event in {RETRIES + 1} deliveries")
        return response

    def app_rate_limited(self) -> Answered:
        """Slack's notice that it is dropping event deliveries to this app (more than 30,000 an hour)."""
        body = {
            "token": "verification-token-unused",
            "type": "app_rate_limited",
            "team_id": self.sim.team_id,
            "minute_rate_limited": int(self.sim.clock.now().timestamp()) // 60 * 60,
            "api_app_id": API_APP_ID,
        }
        return self.deliver(json.dumps(body))

    def _interaction(self, payload: dict[str, Any]) -> Answered:
        body = urlencode({"payload": json.dumps(payload)})
        return self.send(body, "application/x-www-form-urlencoded")

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.sim.users[user_id]
        return {"id": user_id, "username": user["name"], "name": user["name"], "team_id": self.team_of(user_id)}

    def team_of(self, user_id: str) -> str:
        """The person's workspace: another one for a Slack Connect guest (``add_user(team_id=...)``)."""
        return str(self.sim.users[user_id]["team_id"])

    # ----- what people do ---------------------------------------------------------------------

    def say(
        self, user: str, channel: str, text: str, thread_ts: str | None = None, event_id: str | None = None
    ) -> dict[str, Any]:
        """Post a message as ``user`` and deliver its ``message`` event; returns the stored message."""
        channel_id = self.sim.channel_id(channel) if channel not in self.sim.users else self.sim.dm_channel(channel)
        message = self.sim.post(channel_id, user, text, thread_ts=thread_ts)
        event = {k: v for k, v in message.items() if k in ("type", "channel", "user", "text", "ts", "thread_ts")}
        event["channel_type"] = "im" if channel_id.startswith("D") else "channel"
        if thread_ts is None:
            event.pop("thread_ts", None)
        self.send_event(event, event_id=event_id)
        if f"<@{self.sim.bot_user_id}>" in text:
            self.send_event({**event, "type": "app_mention"})
        return message

    def delete(self, user: str, channel: str, ts: str) -> Answered:
        """Delete a message as its author: a message with thread replies leaves a tombstone, and its
        event is a ``message_changed`` whose message has the subtype ``tombstone``."""
        channel_id = self.sim.channel_id(channel)
        before = dict(self.sim.message(channel_id, ts))
        tombstone = self.sim.delete_message(channel_id, ts)
        if tombstone is not None:
            return self.send_event(
                {
                    "type": "message",
                    "subtype": "message_changed",
                    "hidden": True,
                    "channel": channel_id,
                    "ts": self.sim.next_ts(),
                    "message": tombstone,
                    "previous_message": before,
                }
            )
        return self.send_event(
            {
                "type": "message",
                "subtype": "message_deleted",
                "hidden": True,
                "channel": channel_id,
                "ts": self.sim.next_ts(),
                "deleted_ts": ts,
                "previous_message": before,
            }
        )

    def react(self, user: str, channel: str, ts: str, name: str, add: bool = True) -> Answered:
        channel_id = self.sim.channel_id(channel)
        self.sim.react(channel_id, ts, user, name, add=add)
        item_user = self.sim.message(channel_id, ts)["user"]
        return self.send_event(
            {
                "type": "reaction_added" if add else "reaction_removed",
                "user": user,
                "reaction": name,
                "item_user": item_user,
                "item": {"type": "message", "channel": channel_id, "ts": ts},
            }
        )

    def command(self, user: str, command: str, text: str = "", channel: str = "") -> Answered:
        """Run a slash command; an immediate text in the ack is shown to the user, as Slack does."""
        channel_id = self.sim.channel_id(channel) if channel else self.sim.dm_channel(user)
        form = {
            "token": "verification-token-unused",
            "team_id": self.team_of(user),
            "team_domain": "simulated",
            "channel_id": channel_id,
            "channel_name": self.sim.channels[channel_id].name,
            "user_id": user,
            "user_name": self.sim.users[user]["name"],
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "response_url": self.sim.issue_response_url(self.sim.base_url, user, channel_id),
            "trigger_id": self.sim.issue_trigger(user),
        }
        response = self.send(urlencode(form), "application/x-www-form-urlencoded")
        self._show_ack(response, channel_id, user)
        return response

    def _show_ack(self, response: Answered, channel_id: str, user: str) -> None:
        if response.status_code == 200 and response.text.strip().startswith("{"):
            body = response.json()
            if body.get("text") or body.get("blocks"):
                with self.sim.lock:
                    self.sim._ephemeral(channel_id, user, body)

    def click(
        self,
        user: str,
        button_text: str,
        channel: str | None = None,
        view_id: str | None = None,
        seen: dict[str, Any] | None = None,
    ) -> Answered:
        """Click the newest button with this visible text in a channel's messages or in a view; or in
        ``seen``, a copy of a message as the user's client still shows it (a stale button)."""
        if view_id is not None:
            view = self.sim.views[view_id]
            action = _find_button(view.get("blocks", []), button_text)
            if action is None:
                raise ButtonNotFound(f"no button {button_text!r} in view {view_id}")
            payload = self._action_payload(user, action)
            payload.update(container={"type": "view", "view_id": view_id}, view=view)
            return self._interaction(payload)
        channel_id = self.sim.channel_id(channel) if channel else self.sim.dm_channel(user)
        candidates = [seen] if seen is not None else reversed(self.sim.messages(channel_id, include_replies=True))
        for message in candidates:
            action = _find_button(message.get("blocks") or [], button_text)
            if action is not None:
                payload = self._action_payload(user, action)
                payload.update(
                    container={"type": "message", "message_ts": message["ts"], "channel_id": channel_id},
                    channel={"id": channel_id, "name": self.sim.channels[channel_id].name},
                    message=message,
                    response_url=self.sim.issue_response_url(self.sim.base_url, user, channel_id, message["ts"]),
                )
                return self._interaction(payload)
        raise ButtonNotFound(f"no button {button_text!r} in {channel_id}")

    def _action_payload(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": API_APP_ID,
            "token": "verification-token-unused",
            "team": {"id": self.sim.team_id, "domain": "simulated"},
            "trigger_id": self.sim.issue_trigger(user),
            "actions": [
                {
                    "type": "button",
                    "action_id": action["element"].get("action_id", ""),
                    "block_id": action["block_id"],
                    "value": action["element"].get("value", ""),
                    "text": action["element"]["text"],
                    "action_ts": self.sim.next_ts(),
                }
            ],
        }

    def open_views(self, user: str) -> list[dict[str, Any]]:
        with self.sim.lock:
            return [v for v in self.sim.views.values() if v["user"] == user and v.get("type") == "modal"]

    def submit(self, user: str, view_id: str, values: dict[str, Any]) -> Answered:
        """Submit a modal with ``values`` keyed by input block_id, shaped per the input's element type."""
        view = self.sim.views[view_id]
        state: dict[str, dict[str, Any]] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            state[block["block_id"]] = {element["action_id"]: _input_state(element, values.get(block["block_id"]))}
        payload = {
            "type": "view_submission",
            "team": {"id": self.sim.team_id, "domain": "simulated"},
            "user": self._user(user),
            "api_app_id": API_APP_ID,
            "token": "verification-token-unused",
            "trigger_id": self.sim.issue_trigger(user),
            "view": {**view, "state": {"values": state}},
            "response_urls": [],
        }
        return self._interaction(payload)

    def shortcut(self, user: str, callback_id: str, channel: str, ts: str) -> Answered:
        """Run a message shortcut on the message at ``ts``."""
        channel_id = self.sim.channel_id(channel)
        return self._interaction(
            {
                "type": "message_action",
                "callback_id": callback_id,
                "user": self._user(user),
                "team": {"id": self.sim.team_id, "domain": "simulated"},
                "channel": {"id": channel_id, "name": self.sim.channels[channel_id].name},
                "message": self.sim.message(channel_id, ts),
                "message_ts": ts,
                "trigger_id": self.sim.issue_trigger(user),
                "response_url": self.sim.issue_response_url(self.sim.base_url, user, channel_id),
                "token": "verification-token-unused",
                "api_app_id": API_APP_ID,
            }
        )

    def open_home(self, user: str) -> Answered:
        return self.send_event(
            {"type": "app_home_opened", "user": user, "channel": self.sim.dm_channel(user), "tab": "home"}
        )


def _find_button(blocks: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    for block in blocks:
        elements = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button" and element.get("text", {}).get("text") == text:
                return {"element": element, "block_id": block.get("block_id", "")}
    return None


def _input_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element["type"]
    if kind in ("static_select", "external_select"):
        return {
            "type": kind,
            "selected_option": None
            if value is None
            else {"value": value, "text": {"type": "plain_text", "text": str(value)}},
        }
    if kind == "users_select":
        return {"type": kind, "selected_user": value}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": [{"value": v} for v in (value or [])]}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    return {"type": kind, "value": value}
