"""Drives the bot as Slack does: signed HTTP requests into ``/slack/events``.

Events, slash commands, button clicks (found by their visible text in a posted message or a view,
echoing its ``action_id`` and ``value``), modal submissions and message shortcuts. What a person
does (post, react) is first applied to the simulator's state, then sent as the event Slack would
send. After each request the driver waits for the bot's listeners to finish (``settle``), so a
test reads the outcome without sleeping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from slackbot.testing.slack_sim import SlackSimulator

API_APP_ID = "A0SIMAPP1"


class ButtonNotFound(AssertionError):
    pass


class SlackDriver:
    def __init__(
        self,
        sim: SlackSimulator,
        bot_url: str,
        signing_secret: str,
        settle: Callable[[], None] = lambda: None,
    ):
        self.sim = sim
        self.url = bot_url.rstrip("/") + "/slack/events"
        self.verifier = SignatureVerifier(signing_secret)
        self.settle = settle

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
    ) -> requests.Response:
        all_headers = {
            "Content-Type": content_type,
            **self.signed_headers(body, timestamp),
            **(headers or {}),
        }
        response = requests.post(self.url, data=body.encode(), headers=all_headers, timeout=30)
        self.settle()
        return response

    def send_event(
        self, event: dict[str, Any], event_id: str | None = None, retry_num: int | None = None
    ) -> requests.Response:
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
        return self.send(json.dumps(envelope), "application/json", headers)

    def _interaction(self, payload: dict[str, Any]) -> requests.Response:
        body = urlencode({"payload": json.dumps(payload)})
        return self.send(body, "application/x-www-form-urlencoded")

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.sim.users[user_id]
        return {"id": user_id, "username": user["name"], "name": user["name"], "team_id": self.sim.team_id}

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

    def react(self, user: str, channel: str, ts: str, name: str, add: bool = True) -> requests.Response:
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

    def command(self, user: str, command: str, text: str = "", channel: str = "") -> requests.Response:
        """Run a slash command; an immediate text in the ack is shown to the user, as Slack does."""
        channel_id = self.sim.channel_id(channel) if channel else self.sim.dm_channel(user)
        form = {
            "token": "verification-token-unused",
            "team_id": self.sim.team_id,
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

    def _show_ack(self, response: requests.Response, channel_id: str, user: str) -> None:
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
    ) -> requests.Response:
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

    def submit(self, user: str, view_id: str, values: dict[str, Any]) -> requests.Response:
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

    def shortcut(self, user: str, callback_id: str, channel: str, ts: str) -> requests.Response:
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

    def open_home(self, user: str) -> requests.Response:
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
