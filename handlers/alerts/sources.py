"""What each monitoring tool sends, read into one shape (``Incoming``): pure functions, no I/O.

- Alertmanager's webhook (version 4) and Grafana alerting's webhook contact point: a notification
  for one group (``groupKey``), carrying every alert of it with its own ``status``; Grafana adds
  ``silenceURL``, ``dashboardURL``, ``panelURL`` and ``values`` per alert.
- Sentry's issue alert (``Sentry-Hook-Resource: event_alert``): one event that fired a rule; its
  issue is the alert's identity, and it resolves when Sentry stops telling (``resolve_after``).
- GitLab's generic alert format: ``title``, ``start_time``, ``end_time`` (an end resolves), and the
  optional ``service``, ``monitoring_tool``, ``hosts``, ``severity``, ``fingerprint``.

An alert's identity is the source's fingerprint, else a hash of its labels.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slackbot.payload import moment

SOURCES = ("alertmanager", "grafana", "sentry", "generic")
NEVER = datetime(1, 1, 1, tzinfo=UTC)  # Alertmanager's zero time: "0001-01-01T00:00:00Z"
TEXT = 3000  # what is kept of a summary or description


class NotAnAlert(ValueError):
    """The body is not what the source sends (answered 400)."""


@dataclass(frozen=True)
class Incoming:
    fingerprint: str
    firing: bool
    labels: dict[str, str]
    summary: str
    starts_at: datetime | None
    ends_at: datetime | None
    links: dict[str, str] = field(default_factory=dict)  # generator, dashboard, panel, silence, runbook


@dataclass(frozen=True)
class Notification:
    source: str
    alerts: list[Incoming]
    group_key: str = ""  # Alertmanager's and Grafana's own group, kept
    truncated: int = 0  # alerts Alertmanager left out (``max_alerts``)


def parse(source: str, payload: Mapping[str, Any]) -> Notification:
    readers = {"alertmanager": _alertmanager, "grafana": _alertmanager, "sentry": _sentry, "generic": _generic}
    return readers[source](source, payload)


def _alertmanager(source: str, payload: Mapping[str, Any]) -> Notification:
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not all(isinstance(a, Mapping) for a in alerts):
        raise NotAnAlert("alerts must be a list of objects")
    return Notification(
        source,
        [_prometheus_alert(source, a) for a in alerts],
        _text(payload.get("groupKey"), 1000),
        _count(payload.get("truncatedAlerts")),
    )


def _prometheus_alert(source: str, alert: Mapping[str, Any]) -> Incoming:
    labels = _string_map(alert.get("labels"), "labels")
    annotations = _string_map(alert.get("annotations") or {}, "annotations")
    status = alert.get("status")
    if status not in ("firing", "resolved"):
        raise NotAnAlert(f"an alert's status must be firing or resolved, not {status!r}")
    links = {
        "generator": _text(alert.get("generatorURL"), 2000),
        "dashboard": _text(alert.get("dashboardURL"), 2000),
        "panel": _text(alert.get("panelURL"), 2000),
        "silence": _text(alert.get("silenceURL"), 2000),
        "runbook": annotations.get("runbook_url", "")[:2000],
    }
    ends = moment(alert.get("endsAt"))
    return Incoming(
        fingerprint=_text(alert.get("fingerprint"), 200) or identity(source, labels),
        firing=status == "firing",
        labels={**labels, "source": source},
        summary=(annotations.get("summary") or annotations.get("description") or labels.get("alertname", ""))[:TEXT],
        starts_at=moment(alert.get("startsAt")),
        ends_at=ends if ends not in (None, NEVER) else None,
        links={k: v for k, v in links.items() if v},
    )


def _sentry(source: str, payload: Mapping[str, Any]) -> Notification:
    data = payload.get("data")
    event = data.get("event") if isinstance(data, Mapping) else None
    if payload.get("action") != "triggered" or not isinstance(event, Mapping):
        raise NotAnAlert("expected an issue alert: action triggered, with data.event")
    assert isinstance(data, Mapping)
    tags = {t[0]: str(t[1]) for t in event.get("tags") or [] if isinstance(t, list) and len(t) == 2}
    issue = _text(event.get("issue_id"), 64)
    labels = {
        "alertname": _text(data.get("triggered_rule"), 200) or "Sentry issue alert",
        "service": tags.get("service") or _text(event.get("project"), 100),
        "severity": _text(event.get("level"), 32),
        "environment": tags.get("environment", ""),
        "source": source,
    }
    labels = {k: v for k, v in labels.items() if v}
    return Notification(
        source,
        [
            Incoming(
                fingerprint=f"sentry-issue:{issue}" if issue else identity(source, labels),
                firing=True,
                labels=labels,
                summary=_text(event.get("title"), TEXT),
                starts_at=moment(event.get("datetime")),
                ends_at=None,
                links={"generator": _text(event.get("web_url"), 2000)} if event.get("web_url") else {},
            )
        ],
    )


def _generic(source: str, payload: Mapping[str, Any]) -> Notification:
    title = _text(payload.get("title"), 200)
    if not title:
        raise NotAnAlert("title is required")
    labels = {
        "alertname": title,
        "service": _text(payload.get("service"), 100),
        "severity": _text(payload.get("severity"), 32),
        "monitoring_tool": _text(payload.get("monitoring_tool"), 100),
        "source": source,
    }
    labels = {k: v for k, v in labels.items() if v}
    fingerprint = payload.get("fingerprint")
    if isinstance(fingerprint, list | dict):  # GitLab hashes whatever it is given
        fingerprint = json.dumps(fingerprint, sort_keys=True)
    ends = moment(payload.get("end_time"))
    return Notification(
        source,
        [
            Incoming(
                fingerprint=_text(fingerprint, 200) or identity(source, labels),
                firing=ends is None,
                labels=labels,
                summary=_text(payload.get("description"), TEXT) or title,
                starts_at=moment(payload.get("start_time")),
                ends_at=ends,
            )
        ],
    )


def identity(source: str, labels: Mapping[str, str]) -> str:
    """A stable identity for an alert its source gave none: the hash of its labels."""
    text = json.dumps([source, sorted(labels.items())], ensure_ascii=False)
    return "labels:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _string_map(raw: Any, name: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise NotAnAlert(f"{name} must be an object")
    return {str(k)[:100]: str(v)[:TEXT] for k, v in list(raw.items())[:64]}


def _text(raw: Any, limit: int) -> str:
    return str(raw)[:limit] if isinstance(raw, str | int) and not isinstance(raw, bool) else ""


def _count(raw: Any) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else 0
