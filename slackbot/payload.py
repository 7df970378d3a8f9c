"""Reading what arrives from Slack and GitLab without ever raising: JSON that is an object, holds
only finite numbers and no lone surrogates (which no database column can store), and numbers read
into the range a column holds.

Everything that arrives goes through ``json_object`` at the edge, and again when the inbox reads a
stored body back, so a listener sees only values it can store.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

MAX_ID = 2**63 - 1  # the largest value of a BIGINT column
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Unusable(ValueError):
    """A value that does not fit what it must be (answered 400, or the item is dropped)."""


def _refuse_constant(name: str) -> Any:
    raise Unusable(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Unusable(f"{text[:20]} is out of range")
    return value


def json_object(raw: bytes | str) -> dict[str, Any] | None:
    """A JSON object, or None for anything else: not UTF-8, not JSON, too deep, a number of more than
    4,300 digits or beyond a float's range, NaN or Infinity, a root that is not an object."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw  # json.loads would take UTF-16 and 32 too
        parsed = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
        if not isinstance(parsed, dict):
            return None
        escaped = _SURROGATE_ESCAPE.search(raw) if isinstance(raw, str) else _SURROGATE_ESCAPE_BYTES.search(raw)
        return _without_surrogates(parsed) if escaped else parsed
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None


def _without_surrogates(value: Any) -> Any:
    """Lone surrogates (``"\\ud800"``) become U+FFFD; JSON pairs them into one character already."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    return value


def whole(value: Any, low: int = 0, high: int = MAX_ID) -> int:
    """An integer (or its decimal string) within [low, high]; a bool is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Unusable(f"{str(value)[:20]!r} is not a whole number")
    try:
        number = int(value)
    except (ValueError, OverflowError):
        raise Unusable(f"{str(value)[:20]!r} is not a whole number") from None
    if not low <= number <= high:
        raise Unusable(f"{str(value)[:20]} is out of range")
    return number


OBJECT_FIELDS = ("user", "team", "channel", "enterprise", "view", "container", "message", "previous_message", "item")
CALLBACK_TYPES = {"shortcut", "message_action", "interactive_message", "dialog_submission", "dialog_cancellation"}
VIEW_TYPES = {"view_submission", "view_closed", "workflow_step_save"}


def routing_problem(body: dict[str, Any]) -> str | None:
    """Why Bolt could not route this command or interaction without raising, or None.

    Bolt reads these fields by subscript while it matches listeners and builds its context, so a
    payload of the wrong shape would surface as a 500 with a traceback instead of a clear 400."""
    for key in OBJECT_FIELDS:
        if body.get(key) is not None and not isinstance(body[key], dict):
            return f"{key} is not an object"
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        return "authorizations is not a list of objects"
    response_urls = body.get("response_urls")
    if response_urls is not None and not (
        isinstance(response_urls, list)
        and len(response_urls) <= 1
        and all(isinstance(u, dict) and isinstance(u.get("response_url"), str) for u in response_urls)
    ):
        return "response_urls is not a list of at most one object with a response_url"
    if "command" in body:
        return None if isinstance(body["command"], str) and isinstance(body.get("text", ""), str) else "bad command"
    kind = body.get("type")
    if not isinstance(kind, str):
        return "no type"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "no actions"
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                return "an action without an action_id"
            if not isinstance(action.get("block_id", ""), str):
                return "an action whose block_id is not a string"
    elif kind in VIEW_TYPES:
        view = body.get("view") or {}
        if not (isinstance(view.get("callback_id"), str) and isinstance(view.get("type"), str)):
            return "a view without a callback_id or a type"
        if view["type"] == "workflow_step":
            return "a legacy workflow step"
    elif kind == "workflow_step_edit":
        return "a legacy workflow step"
    elif kind in CALLBACK_TYPES and not isinstance(body.get("callback_id"), str):
        return "no callback_id"
    elif kind == "block_suggestion" and not isinstance(body.get("action_id"), str):
        return "no action_id"
    return None


def moment(raw: Any) -> datetime | None:
    """A time as webhooks send it, in UTC: RFC 3339 (``Z`` or an offset, up to nanoseconds, as
    Alertmanager and Grafana send it) or GitLab's older ``2021-02-23 02:41:37 UTC``; a time without a
    zone is taken as UTC. None when absent or unreadable."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        found = datetime.fromisoformat(raw.replace(" UTC", "+00:00").replace("Z", "+00:00"))
    except ValueError:
        return None
    return (found if found.tzinfo else found.replace(tzinfo=UTC)).astimezone(UTC)
