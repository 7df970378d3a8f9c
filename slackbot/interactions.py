"""Buttons, modal submissions and message shortcuts: each payload is read into a typed value, its
work runs in one unit of work (state and the effects to send, committed together), and only then
is Slack acknowledged. If the work fails, the person is told so and nothing is half-done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from slackbot.access import NotAllowed
from slackbot.commands import FAILED
from slackbot.outbox import Outbox
from slackbot.work import Work

log = logging.getLogger(__name__)


def value_at(payload: Any, *path: str) -> Any:
    """The value at this path of a payload, or None when anything on the way is missing or not an object."""
    for key in path:
        payload = payload.get(key) if isinstance(payload, dict) else None
    return payload


def text_at(payload: Any, *path: str) -> str:
    """The string at this path of a payload, or "" when anything on the way is missing or not a string."""
    found = value_at(payload, *path)
    return found if isinstance(found, str) else ""


@dataclass(frozen=True)
class Click:
    user_id: str
    action_id: str
    value: str
    response_url: str
    trigger_id: str
    channel_id: str
    message_ts: str


@dataclass(frozen=True)
class Submission:
    user_id: str
    callback_id: str
    values: dict[str, Any]
    private_metadata: str


@dataclass(frozen=True)
class Shortcut:
    user_id: str
    callback_id: str
    channel_id: str
    message_ts: str
    message_text: str
    response_url: str
    trigger_id: str = ""
    message_user: str = ""  # who wrote the message (a bot's message has none)


ClickHandler = Callable[[Work, Click], str | None]
ViewFor = Callable[[Click], "dict[str, Any] | str"]
SubmitHandler = Callable[[Work, Submission], dict[str, str] | None]
ShortcutHandler = Callable[[Work, Shortcut], str | None]
ShortcutView = Callable[[Shortcut], "dict[str, Any] | str"]


class Interactions:
    def __init__(self, bolt: App, outbox: Outbox, client: WebClient):
        self.bolt = bolt
        self.outbox = outbox
        self.client = client

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> str | None:
        """Open a modal now (a ``trigger_id`` lives 3 s, so this is the one call a request makes
        itself); what to tell the person when Slack refuses, else None."""
        try:
            self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error"))
            return f"Slack did not open the form ({exc.response.get('error')}). Please try again."
        except Exception as exc:
            log.warning("views.open failed: %s", exc)
            return "Slack did not answer when I tried to open the form. Please try again."
        return None

    def on_click_open(self, action_id: str, view_for: ViewFor) -> None:
        """A button that opens a modal: ``view_for(click)`` (reads only) gives the view, or what to
        tell the person instead."""

        def listener(ack: Ack, body: dict[str, Any]) -> None:
            click = _click(body)
            found = (lambda: view_for(click)) if click.user_id else (lambda: "That click came without a user.")
            self._open(ack, found, click.trigger_id, click.response_url)

        listener.__name__ = f"open_{action_id}"
        self.bolt.action(action_id)(listener)

    def on_click(self, action_id: str, handler: ClickHandler) -> None:
        """``handler`` returns what to tell the person who clicked (ephemeral), or None."""

        def listener(ack: Ack, body: dict[str, Any]) -> None:
            click = _click(body)
            if not click.user_id:
                ack()
                log.warning("ignored a click on %s without a user", action_id)
                return
            self._answer(ack, click.response_url, f"the {action_id} button", lambda work: handler(work, click))

        listener.__name__ = f"click_{action_id}"
        self.bolt.action(action_id)(listener)

    def on_submit(self, callback_id: str, handler: SubmitHandler) -> None:
        """``handler`` returns field errors to show in the modal, or None when the submission is taken."""

        def listener(ack: Ack, body: dict[str, Any]) -> None:
            view = body.get("view") if isinstance(body.get("view"), dict) else {}
            state = view.get("state") if isinstance(view, dict) else None
            values = state.get("values") if isinstance(state, dict) else None
            submission = Submission(
                user_id=text_at(body, "user", "id"),
                callback_id=callback_id,
                values=values if isinstance(values, dict) else {},
                private_metadata=text_at(view, "private_metadata"),
            )
            try:
                with self.outbox.work() as work:
                    errors = handler(work, submission)
                    if errors:
                        raise _Refused(errors)
            except _Refused as refused:
                ack(response_action="errors", errors=refused.errors)
                return
            except NotAllowed as refused:
                first = next(iter(submission.values), "")
                ack(response_action="errors", errors={first: str(refused)} if first else {})
                return
            except Exception:
                log.exception("the %s form failed", callback_id)
                first = next(iter(submission.values), "")
                ack(response_action="errors", errors={first: FAILED} if first else {})
                return
            ack()

        listener.__name__ = f"submit_{callback_id}"
        self.bolt.view(callback_id)(listener)

    def on_shortcut(self, callback_id: str, handler: ShortcutHandler) -> None:
        def listener(ack: Ack, body: dict[str, Any]) -> None:
            shortcut = _shortcut(callback_id, body)
            if not shortcut.user_id or not shortcut.channel_id:
                ack()
                log.warning("ignored a %s shortcut without a user or a channel", callback_id)
                return
            self._answer(ack, shortcut.response_url, f"the {callback_id} shortcut", lambda w: handler(w, shortcut))

        listener.__name__ = f"shortcut_{callback_id}"
        self.bolt.shortcut(callback_id)(listener)

    def on_shortcut_open(self, callback_id: str, view_for: ShortcutView) -> None:
        """A message shortcut that opens a modal: ``view_for(shortcut)`` (reads only) gives the view,
        or what to tell the person instead."""

        def listener(ack: Ack, body: dict[str, Any]) -> None:
            shortcut = _shortcut(callback_id, body)
            known = shortcut.user_id and shortcut.channel_id
            found = (lambda: view_for(shortcut)) if known else (lambda: "That came without a user.")
            self._open(ack, found, shortcut.trigger_id, shortcut.response_url)

        listener.__name__ = f"open_shortcut_{callback_id}"
        self.bolt.shortcut(callback_id)(listener)

    def _open(self, ack: Ack, view_for: Callable[[], dict[str, Any] | str], trigger_id: str, response_url: str) -> None:
        """Open the modal ``view_for()`` gives (it only reads), or tell the person what it says
        instead (a refusal too); acknowledge in between, as ``views.open`` must come first."""
        try:
            view = view_for()
        except NotAllowed as refused:
            view = str(refused)
        problem = view if isinstance(view, str) else self.open_view(trigger_id, view)
        ack()
        if problem:
            with self.outbox.work() as work:
                work.slack.respond(response_url, problem)

    def _answer(self, ack: Ack, response_url: str, what: str, run: Callable[[Work], str | None]) -> None:
        """Run the work in one unit of work, its answer to the person among its effects; then ack."""
        try:
            with self.outbox.work() as work:
                answer = run(work)
                if answer:
                    work.slack.respond(response_url, answer)
        except NotAllowed as refused:  # the unit of work is rolled back: the refusal is all that happens
            with self.outbox.work() as work:
                work.slack.respond(response_url, str(refused))
        except Exception:
            log.exception("%s failed", what)
            ack()
            tell_directly(response_url, FAILED)
            return
        ack()


def _shortcut(callback_id: str, body: dict[str, Any]) -> Shortcut:
    return Shortcut(
        user_id=text_at(body, "user", "id"),
        callback_id=callback_id,
        channel_id=text_at(body, "channel", "id"),
        message_ts=text_at(body, "message", "ts") or text_at(body, "message_ts"),
        message_text=text_at(body, "message", "text"),
        response_url=text_at(body, "response_url"),
        trigger_id=text_at(body, "trigger_id"),
        message_user=text_at(body, "message", "user"),
    )


def _click(body: dict[str, Any]) -> Click:
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    return Click(
        user_id=text_at(body, "user", "id"),
        action_id=text_at(action, "action_id"),
        value=text_at(action, "value"),
        response_url=text_at(body, "response_url"),
        trigger_id=text_at(body, "trigger_id"),
        channel_id=text_at(body, "channel", "id") or text_at(body, "container", "channel_id"),
        message_ts=text_at(body, "container", "message_ts"),
    )


class _Refused(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("refused")
        self.errors = errors


def tell_directly(response_url: str, text: str) -> None:
    """When even the outbox cannot be written (the database is down), say so through the response URL."""
    if not response_url:
        return
    try:
        WebhookClient(response_url, timeout=5).send_dict(
            {"text": text, "response_type": "ephemeral", "replace_original": False}
        )
    except Exception:
        log.warning("could not tell the person that their request failed", exc_info=True)
