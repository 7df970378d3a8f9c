"""The edge, where requests from Slack and GitLab arrive: size, signature and token are checked on
the raw bytes before anything parses them, and parsing never raises.

Events API deliveries go into the inbox and are answered 200 once stored (503 when they cannot be
stored, so Slack delivers them again). Slash commands and interactivity go to Bolt, whose
listeners record their work before they acknowledge.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_bolt import App, BoltRequest, BoltResponse

from slackbot.access import ELSEWHERE, Access
from slackbot.inbox import Inbox
from slackbot.metrics import Metrics
from slackbot.payload import json_object, routing_problem

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's and GitLab's payloads are far smaller
REPLAY_WINDOW = 60 * 5


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()  # more response headers (a page's cookie, its caching)

    @classmethod
    def json(cls, status: int, document: Any) -> Answer:
        return cls(status, json.dumps(document).encode(), "application/json")


def content_length(raw: str | None) -> int | None:
    """The declared body size, or None when it is not a usable number (answered 400)."""
    if raw is None or raw == "":
        return 0
    if not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


def slack_signature_ok(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> bool:
    """Slack's v0 signature over ``v0:timestamp:body``, in constant time, within the replay window."""
    stamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not secret or not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12 or not signature.isascii():
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > REPLAY_WINDOW:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())


def bearer_ok(headers: Mapping[str, str], token: str) -> bool:
    """``Authorization: Bearer TOKEN``, compared in constant time (monitoring tools, heartbeats)."""
    given = headers.get("authorization", "").encode("utf-8", "replace")
    return bool(token) and hmac.compare_digest(given, f"Bearer {token}".encode())


def form(raw: bytes) -> dict[str, str] | None:
    try:
        text = raw.decode("utf-8")
        return {k: v[-1] for k, v in parse_qs(text, strict_parsing=bool(text), max_num_fields=200).items()}
    except (UnicodeDecodeError, ValueError):
        return None


def _text(raw: bytes | None) -> str | None:
    """The body as it arrived, to store as it is (it has been parsed as JSON, so it is UTF-8)."""
    return raw.decode("utf-8") if raw is not None else None


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("type") or ("command " + str(body.get("command")) if "command" in body else "unknown"))


class SlackEdge:
    """What Slack sends, from any transport (HTTP or Socket Mode), after it is authenticated."""

    def __init__(self, bolt: App, inbox: Inbox, metrics: Metrics, access: Access, tell: Callable[[str, str], None]):
        """``tell(response_url, text)`` records an ephemeral answer in the outbox."""
        self.bolt = bolt
        self.inbox = inbox
        self.metrics = metrics
        self.access = access
        self.tell = tell

    def _refuse_elsewhere(self, body: dict[str, Any]) -> BoltResponse:
        """A command's answer is shown to the person; a button's or a form's is not, so a form is
        closed and a click is answered through the ``response_url`` Slack gave with it."""
        if body.get("type") == "view_submission":
            return BoltResponse(
                status=200, body=json.dumps({"response_action": "clear"}), headers={"content-type": "application/json"}
            )
        if "command" in body:
            answer = {"response_type": "ephemeral", "text": ELSEWHERE}
            return BoltResponse(status=200, body=json.dumps(answer), headers={"content-type": "application/json"})
        response_url = body.get("response_url")
        if isinstance(response_url, str) and response_url:
            self.tell(response_url, ELSEWHERE)
        return BoltResponse(status=200, body="")

    def events_api(self, body: dict[str, Any], raw: bytes | None = None) -> Answer:
        kind = body.get("type")
        if kind == "url_verification" and isinstance(body.get("challenge"), str):
            return Answer.json(200, {"challenge": body["challenge"]})
        if kind == "app_rate_limited":
            log.warning(
                "Slack is rate-limiting event deliveries to this app (minute %s)", body.get("minute_rate_limited")
            )
            self.metrics.events_rate_limited.inc()
            return Answer(200)
        if kind != "event_callback":
            log.warning("ignored an Events API request of type %r", kind)
            return Answer(200)
        event, event_id = body.get("event"), body.get("event_id")
        if not isinstance(event, dict) or not isinstance(event_id, str) or not isinstance(event.get("type"), str):
            log.warning("rejected an event_callback without an event ID or an event")
            return Answer(400, b"malformed event")
        try:
            self.inbox.store("slack", str(event["type"]), f"slack:{event_id}", body, _text(raw))
        except Exception:
            log.error("could not store event %s; answering 503 so that Slack delivers it again", event_id)
            return Answer(503, b"try again")
        return Answer(200)

    def interactive(self, body: dict[str, Any], headers: Mapping[str, str], mode: str = "http") -> BoltResponse:
        """A command (its form fields) or an interaction (its payload) through Bolt, once it has the
        shape Bolt reads (else 400). One no listener knows (an old message's button, a command this
        bot no longer has) is acknowledged with a log line, never left unanswered."""
        problem = routing_problem(body)
        if problem is not None:
            log.warning("rejected a %s request: %s", _kind(body), problem)
            return BoltResponse(status=400, body=f"malformed request: {problem}")
        elsewhere = self.access.from_elsewhere(body)
        if elsewhere is not None:
            log.warning("refused a %s request from another workspace (%s)", _kind(body), elsewhere)
            return self._refuse_elsewhere(body)
        raw: str | dict[str, Any] = body
        if mode == "http":  # Bolt parses the body itself: give it exactly what was checked
            raw = urlencode(body if "command" in body else {"payload": json.dumps(body)})
        request = BoltRequest(body=raw, headers={k: [v] for k, v in headers.items()}, mode=mode)
        response = self.bolt.dispatch(request)
        if response.status == 404:
            log.warning("no listener for a %s request; acknowledged and ignored", _kind(body))
            return BoltResponse(status=200, body="")
        return response

    def _first_time(self, headers: Mapping[str, str], kind: str) -> bool:
        """False for a replay of a signed command or interaction (answered 200, no effect). When the
        database cannot say, the request goes on: its own unit of work then fails and says so."""
        try:
            first = self.inbox.first_request(headers.get("x-slack-signature", ""))
        except Exception as exc:
            log.warning("could not record a %s request against replays (%s)", kind, type(exc).__name__)
            return True
        if first:
            return True
        log.warning("ignored a %s request that was already taken (the same signed body again)", kind)
        return False

    def http(self, headers: Mapping[str, str], raw: bytes) -> Answer:
        """A request to ``/slack/events`` whose signature has been checked."""
        started = time.perf_counter()
        content_type = headers.get("content-type", "")
        kind = "events_api"
        try:
            if "json" in content_type:
                envelope = json_object(raw)
                if envelope is None:
                    log.warning("rejected a Slack request whose body is not a JSON object")
                    return Answer(400, b"body is not a JSON object")
                return self.events_api(envelope, raw)
            fields = form(raw)
            if fields is None or not ("command" in fields or "payload" in fields):
                log.warning("rejected a Slack request that is neither a command nor an interaction")
                return Answer(400, b"not a Slack request")
            body: dict[str, Any] = fields
            if "payload" in fields:
                payload = json_object(fields["payload"])
                if payload is None or not isinstance(payload.get("type"), str):
                    log.warning("rejected an interaction whose payload is not a JSON object")
                    return Answer(400, b"payload is not a JSON object")
                kind, body = str(payload["type"]), payload
            else:
                kind = "slash_command"
            if not self._first_time(headers, kind):
                return Answer(200)
            response = self.interactive(body, headers)
            content = response.headers.get("content-type", ["text/plain"])
            body_bytes = response.body.encode() if isinstance(response.body, str) else bytes(response.body or b"")
            return Answer(response.status, body_bytes, content[0] if content else "text/plain")
        finally:
            self.metrics.handler_seconds.labels(kind).observe(time.perf_counter() - started)
