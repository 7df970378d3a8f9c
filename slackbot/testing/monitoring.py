"""The monitoring tools as they call the bot, over HTTP: Alertmanager's webhook receiver (version
4), Grafana alerting's webhook contact point, Sentry's issue alert (an internal integration's alert
rule action) and GitLab's generic alert format. Each builds its documented payload and headers, and
keeps what the real tool keeps: Alertmanager notifies a whole group each time (every alert with its
own status), fingerprints alerts by their labels (FNV-1a, 64 bits, as ``model.LabelSet``) and names
the group by its route and group labels; Sentry signs the exact body it sends."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

ZERO_TIME = "0001-01-01T00:00:00Z"
FNV_OFFSET, FNV_PRIME = 14695981039346656037, 1099511628211
SEPARATOR = 0xFF


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's (Prometheus's) fingerprint of a label set, as its webhook sends it."""
    value = FNV_OFFSET
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in part.encode():
                value = ((value ^ byte) * FNV_PRIME) % 2**64
            value = ((value ^ SEPARATOR) * FNV_PRIME) % 2**64
    return f"{value:016x}"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Alert:
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    ends_at: datetime | None = None  # set: resolved at that moment

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)

    def webhook(self, generator: str) -> dict[str, Any]:
        return {
            "status": "resolved" if self.ends_at else "firing",
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": rfc3339(self.starts_at),
            "endsAt": rfc3339(self.ends_at) if self.ends_at else ZERO_TIME,
            "generatorURL": generator,
            "fingerprint": self.fingerprint,
        }


class Sender:
    def __init__(self, base_url: str, token: str = ""):
        self.base_url = base_url.rstrip("/")
        self.token = token

    def send(self, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
        headers = {"Content-Type": "application/json", "User-Agent": type(self).__name__, **headers}
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return requests.post(self.base_url + path, data=body, headers=headers, timeout=10)


class Alertmanager(Sender):
    """Notifies ``/alerts/alertmanager`` of one group: all its alerts, each with its status."""

    path = "/alerts/alertmanager"
    external_url = "http://alertmanager.example.com:9093"

    def payload(
        self, group_labels: Mapping[str, str], alerts: Sequence[Alert], receiver: str = "fulfillbot"
    ) -> dict[str, Any]:
        firing = any(a.ends_at is None for a in alerts)
        common = dict(set.intersection(*(set(a.labels.items()) for a in alerts))) if alerts else {}
        return {
            "version": "4",
            "groupKey": "{}:{" + ", ".join(f'{k}="{v}"' for k, v in sorted(group_labels.items())) + "}",
            "truncatedAlerts": 0,
            "status": "firing" if firing else "resolved",
            "receiver": receiver,
            "groupLabels": dict(group_labels),
            "commonLabels": common,
            "commonAnnotations": {},
            "externalURL": self.external_url,
            "alerts": [a.webhook("http://prometheus.example.com:9090/graph?g0.expr=up") for a in alerts],
        }

    def notify(self, group_labels: Mapping[str, str], alerts: Sequence[Alert]) -> requests.Response:
        return self.send(self.path, json.dumps(self.payload(group_labels, alerts)).encode(), {})


class Grafana(Alertmanager):
    """Grafana alerting's webhook contact point: Alertmanager's shape, plus links, values and texts."""

    path = "/alerts/grafana"
    external_url = "https://grafana.example.com/"

    def payload(
        self, group_labels: Mapping[str, str], alerts: Sequence[Alert], receiver: str = "fulfillbot"
    ) -> dict[str, Any]:
        body = super().payload(group_labels, alerts, receiver)
        for alert, sent in zip(alerts, body["alerts"], strict=True):
            matchers = quote(",".join(f"{k}={v}" for k, v in sorted(alert.labels.items())), safe="")
            sent.update(
                generatorURL="https://grafana.example.com/alerting/grafana/1afz29v7z/view",
                silenceURL=f"https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matchers={matchers}",
                dashboardURL="https://grafana.example.com/d/fulfillment",
                panelURL="https://grafana.example.com/d/fulfillment?viewPanel=2",
                values={"B": 44.2, "C": 1},
                valueString="[ var='B' labels={} value=44.2 ], [ var='C' labels={} value=1 ]",
            )
        firing = sum(1 for a in alerts if a.ends_at is None)
        body.update(
            version="1",
            orgId=1,
            state="alerting" if firing else "ok",
            title=f"[{'FIRING' if firing else 'RESOLVED'}:{len(alerts)}] " + " ".join(group_labels.values()),
            message="**Firing**\n\n" + "\n".join(a.annotations.get("summary", "") for a in alerts),
        )
        return body


class Sentry(Sender):
    """An internal integration's issue alert: ``event_alert``, signed with its client secret."""

    path = "/alerts/sentry"

    def __init__(self, base_url: str, client_secret: str):
        super().__init__(base_url)
        self.client_secret = client_secret

    def payload(self, issue_id: str, title: str, rule: str, project: str = "customers-app") -> dict[str, Any]:
        web = f"https://sentry.example.com/organizations/gitlab/issues/{issue_id}/events/a1b2c3/"
        return {
            "action": "triggered",
            "actor": {"id": "sentry", "name": "Sentry", "type": "application"},
            "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
            "data": {
                "event": {
                    "event_id": "a1b2c3",
                    "issue_id": issue_id,
                    "issue_url": f"https://sentry.example.com/api/0/issues/{issue_id}/",
                    "web_url": web,
                    "url": f"https://sentry.example.com/api/0/projects/gitlab/{project}/events/a1b2c3/",
                    "title": title,
                    "culprit": "app/models/order.rb in checkout",
                    "level": "error",
                    "project": 1,
                    "platform": "ruby",
                    "datetime": "2026-11-23T08:00:00.000000Z",
                    "tags": [["environment", "production"], ["level", "error"], ["service", project]],
                },
                "triggered_rule": rule,
                "issue_alert": {"title": rule, "settings": []},
            },
        }

    def signed(self, body: bytes, resource: str = "event_alert", request_id: str = "") -> dict[str, str]:
        return {
            "Request-ID": request_id or str(uuid.uuid4()),
            "Sentry-Hook-Resource": resource,
            "Sentry-Hook-Timestamp": str(int(datetime.now(UTC).timestamp())),
            "Sentry-Hook-Signature": hmac.new(self.client_secret.encode(), body, hashlib.sha256).hexdigest(),
        }

    def alert(self, issue_id: str, title: str, rule: str, request_id: str = "") -> requests.Response:
        body = json.dumps(self.payload(issue_id, title, rule)).encode()
        return self.send(self.path, body, self.signed(body, request_id=request_id))


class GenericAlerts(Sender):
    """GitLab's documented generic alert format (an HTTP endpoint integration's payload)."""

    path = "/alerts/generic"

    def alert(self, title: str, **fields: Any) -> requests.Response:
        body = {"title": title, "start_time": "2026-11-23T08:00:00Z", **fields}
        return self.send(self.path, json.dumps(body).encode(), {})
