"""Inbound GitLab webhooks, authenticated by ``X-Gitlab-Token`` and dispatched by ``object_kind``."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookDelivery:
    payload: dict[str, Any]
    delivery_id: str  # Idempotency-Key or X-Gitlab-Event-UUID; "" when GitLab sent neither


@dataclass(frozen=True)
class WebhookResult:
    status: int
    message: str


class WebhookRejected(Exception):
    """The body is not an event the handler understands (answered with 400)."""


WebhookHandler = Callable[[WebhookDelivery], str]


class GitLabWebhooks:
    def __init__(self, secret: str):
        self.secret = secret
        self.handlers: dict[str, WebhookHandler] = {}

    def on(self, object_kind: str, handler: WebhookHandler) -> None:
        self.handlers[object_kind] = handler

    def handle(self, headers: Mapping[str, str], body: bytes) -> WebhookResult:
        if not self.secret:
            return WebhookResult(404, "GitLab webhooks are not configured")
        token = headers.get("x-gitlab-token", "")
        if not hmac.compare_digest(token.encode(), self.secret.encode()):
            log.warning("GitLab webhook with a missing or wrong X-Gitlab-Token rejected")
            return WebhookResult(401, "invalid X-Gitlab-Token")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return WebhookResult(400, "body is not JSON")
        kind = payload.get("object_kind") if isinstance(payload, dict) else None
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return WebhookResult(400, f"unsupported event kind {kind!r}")
        delivery_id = headers.get("idempotency-key") or headers.get("x-gitlab-event-uuid") or ""
        try:
            return WebhookResult(200, handler(WebhookDelivery(payload, delivery_id)))
        except WebhookRejected as exc:
            return WebhookResult(400, str(exc))
