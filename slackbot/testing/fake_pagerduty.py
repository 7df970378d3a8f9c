"""PagerDuty's Events API v2 (``POST /v2/enqueue``) on loopback, validating events as PagerDuty does."""

from __future__ import annotations

import json
import threading
from typing import Any

from slackbot.testing.loopback import LoopbackServer, Reply

SEVERITIES = {"critical", "error", "warning", "info"}


class FakePagerDuty(LoopbackServer):
    def __init__(self, routing_key: str = "R0UTINGKEY0000000000000000000000"):
        super().__init__()
        self.routing_key = routing_key
        self.events: list[dict[str, Any]] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()

    @property
    def events_url(self) -> str:
        return self.base_url + "v2/enqueue"

    def fail_next(self, *statuses: int) -> None:
        """The next calls answer these statuses (429 for throttling, 5xx for an outage)."""
        self._failures.extend(statuses)

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if method != "POST" or path != "/v2/enqueue":
            return 404, {"status": "not found"}, {}
        with self._lock:
            if self._failures:
                return self._failures.pop(0), {"status": "error", "message": "try again"}, {}
        try:
            event = json.loads(body)
        except ValueError:
            return (
                400,
                {"status": "invalid event", "message": "Event object is invalid", "errors": ["not JSON"]},
                {},
            )
        errors = self.validate(event)
        if errors:
            return (
                400,
                {"status": "invalid event", "message": "Event object is invalid", "errors": errors},
                {},
            )
        with self._lock:
            self.events.append(event)
        return (
            202,
            {"status": "success", "message": "Event processed", "dedup_key": event.get("dedup_key", "")},
            {},
        )

    def validate(self, event: Any) -> list[str]:
        if not isinstance(event, dict):
            return ["event must be an object"]
        errors = []
        if event.get("routing_key") != self.routing_key:
            errors.append("'routing_key' is invalid")
        action = event.get("event_action")
        if action not in ("trigger", "acknowledge", "resolve"):
            errors.append("'event_action' is invalid")
        if action in ("acknowledge", "resolve") and not event.get("dedup_key"):
            errors.append("'dedup_key' is required for acknowledge and resolve")
        if action == "trigger":
            payload = event.get("payload") or {}
            for key in ("summary", "source", "severity"):
                if not payload.get(key):
                    errors.append(f"'payload.{key}' is missing or blank")
            if payload.get("severity") and payload["severity"] not in SEVERITIES:
                errors.append("'payload.severity' is invalid")
        return errors
