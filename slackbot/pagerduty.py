"""PagerDuty Events API v2: trigger, acknowledge and resolve under one dedup key per incident,
sent through the outbox (lane per dedup key, so they reach PagerDuty in the order decided)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

import requests

from slackbot.db import Database
from slackbot.effects import Effect, effect_of
from slackbot.outbox import Delivery, Effects, Priority, Refused, Sender, TryAgain
from slackbot.remote import guarded_session
from slackbot.slack_effects import permalink, posted


@dataclass(frozen=True)
class PagerDutyEvent(Effect):
    """One Events API v2 event; ``link_ref`` names the bot's Slack message to link, once posted."""

    KIND: ClassVar[str] = "pagerduty"
    action: str
    dedup_key: str
    payload: dict[str, Any] | None = None
    link_ref: str | None = None
    link_text: str = ""


LINK_WAIT = timedelta(seconds=10)  # a trigger waits this long at most for the Slack message it links


class PagerDutyError(Exception):
    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class PagerDuty:
    events_url: str
    routing_key: str
    session: requests.Session = field(default_factory=lambda: guarded_session("PagerDuty"), compare=False)

    def send(
        self,
        action: str,
        dedup_key: str,
        payload: dict[str, Any] | None = None,
        links: list[dict[str, str]] | None = None,
    ) -> None:
        """Send one event; 429 and 5xx (and no answer) are retryable, other refusals are not."""
        body: dict[str, Any] = {"routing_key": self.routing_key, "event_action": action, "dedup_key": dedup_key}
        if payload is not None:
            body["payload"] = payload
        if links:
            body["links"] = links
        try:
            response = self.session.post(self.events_url, json=body, timeout=10)
        except requests.RequestException as exc:
            raise PagerDutyError(f"PagerDuty did not answer: {type(exc).__name__}", retryable=True) from None
        if response.status_code in (200, 201, 202):
            return
        retryable = response.status_code == 429 or response.status_code >= 500
        raise PagerDutyError(f"PagerDuty answered {response.status_code}: {response.text[:300]}", retryable)


def record(
    out: Effects,
    action: str,
    dedup_key: str,
    *,
    payload: dict[str, Any] | None = None,
    link_ref: str | None = None,
    link_text: str = "",
    group: str | None = None,
) -> None:
    """Queue one event; a trigger links the bot's Slack message ``link_ref`` once it is posted."""
    out.add_effect(
        PagerDutyEvent(action, dedup_key, payload, link_ref, link_text),
        lane=f"pagerduty:{dedup_key}",
        priority=Priority.URGENT,
        group=group,
        wait_for=link_ref,
        wait_at_most=LINK_WAIT if link_ref else None,
    )


def sender(pagerduty: PagerDuty, db: Database, team_url: str) -> Sender:
    def send(delivery: Delivery) -> dict[str, Any]:
        event = effect_of(delivery, PagerDutyEvent)
        links = None
        if event.link_ref:
            with db.reading() as session:
                message = posted(session, event.link_ref)
            if message is not None:
                links = [{"href": permalink(team_url, message.channel, message.ts), "text": event.link_text}]
        try:
            pagerduty.send(event.action, event.dedup_key, event.payload, links)
        except PagerDutyError as exc:
            raise (TryAgain(str(exc)) if exc.retryable else Refused(str(exc))) from None
        return {}

    return Sender(send=send)
