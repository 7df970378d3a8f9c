"""Inbound GitLab webhooks: authenticated by ``X-Gitlab-Token`` (constant time), checked against
the kind's validator, stored in the inbox and answered 200; processed off the request.

A delivery is keyed by GitLab's ``Idempotency-Key`` (or ``X-Gitlab-Event-UUID``), else by a
hash of its body, so a redelivery finds its key and has no second effect.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slackbot.edge import Answer
from slackbot.inbox import Inbox
from slackbot.payload import json_object

log = logging.getLogger(__name__)


class WebhookRejected(Exception):
    """The body is not an event the handler understands (answered with 400)."""


Validator = Callable[[dict[str, Any]], object]


@dataclass
class GitLabWebhooks:
    secret: str
    inbox: Inbox
    validators: dict[str, Validator] = field(default_factory=dict)

    def accept(self, object_kind: str, validate: Validator) -> None:
        """Accept hooks of this ``object_kind``; ``validate`` raises ``WebhookRejected`` for a bad one."""
        self.validators[object_kind] = validate

    def handle(self, headers: Mapping[str, str], body: bytes) -> Answer:
        if not self.secret:
            return Answer.json(404, {"message": "GitLab webhooks are not configured"})
        token = headers.get("x-gitlab-token", "")
        if not hmac.compare_digest(token.encode("utf-8", "replace"), self.secret.encode()):
            log.warning("GitLab webhook with a missing or wrong X-Gitlab-Token rejected")
            return Answer.json(401, {"message": "invalid X-Gitlab-Token"})
        payload = json_object(body)
        if payload is None:
            log.warning("GitLab webhook rejected: the body is not a JSON object")
            return Answer.json(400, {"message": "body is not a JSON object"})
        kind = payload.get("object_kind")
        validate = self.validators.get(kind) if isinstance(kind, str) else None
        if validate is None or not isinstance(kind, str):
            log.warning("GitLab webhook of unsupported kind %r rejected", kind)
            return Answer.json(400, {"message": f"unsupported event kind {kind!r}"})
        try:
            validate(payload)
        except WebhookRejected as exc:
            log.warning("GitLab %s hook rejected: %s", kind, exc)
            return Answer.json(400, {"message": str(exc)})
        delivery = headers.get("idempotency-key") or headers.get("x-gitlab-event-uuid") or ""
        key = f"gitlab:{delivery}" if delivery else "gitlab:sha256:" + hashlib.sha256(body).hexdigest()
        try:
            stored = self.inbox.store("gitlab", kind, key[:255], payload, body.decode("utf-8"))
        except Exception:
            log.error("could not store a GitLab %s hook; answering 503 so that GitLab delivers it again", kind)
            return Answer.json(503, {"message": "try again"})
        return Answer.json(200, {"message": "accepted" if stored is not None else "already received"})
