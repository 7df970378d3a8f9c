"""Each tool's payload read into one shape, from the documented examples (Grafana's webhook
notifier page, Sentry's issue alert page, GitLab's generic alert format, Alertmanager's webhook)."""

from datetime import UTC, datetime

import pytest

from handlers.alerts.sources import NotAnAlert, identity, parse
from slackbot.testing.monitoring import Alert, Alertmanager, fingerprint

GRAFANA_DOCS = {
    "receiver": "My Super Webhook",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
            "annotations": {
                "description": "The system has high memory usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone us-1",
            },
            "startsAt": "2021-10-12T09:51:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1},
        }
    ],
    "groupLabels": {},
    "commonLabels": {"team": "blue"},
    "commonAnnotations": {},
    "externalURL": "https://play.grafana.org/",
    "version": "1",
    "groupKey": '{}:{alertname="High memory usage"}',
    "truncatedAlerts": 0,
    "title": "[FIRING:1]  (High memory usage blue us-1)",
    "state": "alerting",
    "message": "**Firing**",
}


def test_grafanas_documented_example_reads_with_its_fingerprint_links_and_time() -> None:
    note = parse("grafana", GRAFANA_DOCS)
    [alert] = note.alerts
    assert note.group_key == '{}:{alertname="High memory usage"}'
    assert alert.fingerprint == "c6eadffa33fcdf37" and alert.firing and alert.ends_at is None
    assert alert.summary == "This alert was triggered for zone us-1"
    assert alert.starts_at == datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)
    assert alert.links == {
        "generator": "https://play.grafana.org/alerting/1afz29v7z/edit",
        "silence": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2",
        "runbook": "https://myrunbook.com/runbook/1234",
    }
    assert alert.labels["source"] == "grafana"


def test_an_alertmanager_notification_keeps_its_group_and_each_alerts_status() -> None:
    resolved = Alert({"alertname": "Down", "instance": "a"}, ends_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    firing = Alert({"alertname": "Down", "instance": "b"})
    note = parse("alertmanager", Alertmanager("http://bot").payload({"alertname": "Down"}, [resolved, firing]))
    assert note.group_key == '{}:{alertname="Down"}'
    assert [(a.firing, a.ends_at) for a in note.alerts] == [
        (False, datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        (True, None),
    ]
    assert note.alerts[1].fingerprint == fingerprint({"alertname": "Down", "instance": "b"})


def test_the_fingerprint_is_alertmanagers_fnv1a_of_the_sorted_labels() -> None:
    assert fingerprint({}) == "cbf29ce484222325"  # FNV-1a's offset basis: Prometheus's empty label set
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "1"}) != fingerprint({"a": "2"})


def test_a_sentry_issue_alert_is_identified_by_its_issue() -> None:
    payload = {
        "action": "triggered",
        "data": {
            "event": {
                "issue_id": "1117540176",
                "title": "ReferenceError: heck is not defined",
                "web_url": "https://sentry.io/organizations/acme/issues/1117540176/events/9fac/",
                "level": "error",
                "project": 1,
                "tags": [["environment", "prod"], ["level", "error"]],
            },
            "triggered_rule": "Very Important Alert Rule!",
        },
    }
    [alert] = parse("sentry", payload).alerts
    assert alert.fingerprint == "sentry-issue:1117540176"
    assert alert.labels == {
        "alertname": "Very Important Alert Rule!",
        "service": "1",
        "severity": "error",
        "environment": "prod",
        "source": "sentry",
    }
    with pytest.raises(NotAnAlert):
        parse("sentry", {"action": "resolved", "data": {}})


def test_a_generic_alert_resolves_with_an_end_time_and_hashes_its_labels_without_a_fingerprint() -> None:
    firing = parse("generic", {"title": "Queue full", "service": "sidekiq", "start_time": "2026-11-23T08:00:00Z"})
    ended = parse("generic", {"title": "Queue full", "service": "sidekiq", "end_time": "2026-11-23T08:30:00Z"})
    assert firing.alerts[0].firing and not ended.alerts[0].firing
    assert firing.alerts[0].fingerprint == ended.alerts[0].fingerprint == identity("generic", firing.alerts[0].labels)
    named = parse("generic", {"title": "Queue full", "fingerprint": ["a", 1]})
    assert named.alerts[0].fingerprint == '["a", 1]'
    with pytest.raises(NotAnAlert):
        parse("generic", {"description": "no title"})


@pytest.mark.parametrize(
    "payload",
    [{}, {"alerts": {}}, {"alerts": [1]}, {"alerts": [{"status": "firing", "labels": []}]}],
)
def test_what_alertmanager_never_sends_is_not_an_alert(payload: dict[str, object]) -> None:
    with pytest.raises(NotAnAlert):
        parse("alertmanager", payload)
