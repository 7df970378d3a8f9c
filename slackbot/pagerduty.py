"""PagerDuty Events API v2: trigger, acknowledge and resolve under one dedup key per incident."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests


class PagerDutyError(Exception):
    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class PagerDuty:
    events_url: str
    routing_key: str

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
            response = requests.post(self.events_url, json=body, timeout=10)
        except requests.RequestException as exc:
            raise PagerDutyError(f"PagerDuty did not answer: {type(exc).__name__}", retryable=True) from None
        if response.status_code in (200, 201, 202):
            return
        retryable = response.status_code == 429 or response.status_code >= 500
        raise PagerDutyError(f"PagerDuty answered {response.status_code}: {response.text[:300]}", retryable)
