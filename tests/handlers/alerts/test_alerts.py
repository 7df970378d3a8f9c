"""Alerts from monitoring, driven as the tools and Slack drive the bot: real payload shapes over
HTTP (``slackbot.testing.monitoring``), Slack's messages read back from the simulator."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from handlers.alerts.config import AlertsSection, Route
from handlers.incidents.config import EscalationLevel, IncidentsSection
from slackbot.config import Config, SlackSection
from slackbot.testing.harness import TEAM, Harness
from slackbot.testing.monitoring import Alert, Alertmanager, GenericAlerts, Grafana, Sentry

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
STATUS = "s_fulfillment_status"
TOKEN, SENTRY_SECRET = "alerts-token", "sentry-client-secret"
POLICY = IncidentsSection(
    declare_on_probe_alert=False,
    escalation=[EscalationLevel(users=[JAMES], ack_timeout=timedelta(minutes=5))],
)
ROUTES = AlertsSection(routes=[Route(match={"severity": "critical"}, declare=True, severity=1)])


@pytest.fixture
def harness(database_url: str) -> Iterator[Harness]:
    config = Config.of(POLICY, ROUTES, slack=SlackSection(admins=[ADMIN]))
    with Harness(database_url, config, alerts_token=TOKEN, sentry_client_secret=SENTRY_SECRET) as running:
        yield running


def checkout(n: int, **labels: str) -> Alert:
    return Alert(
        {"alertname": "CheckoutErrors", "service": "checkout", "instance": f"web-{n}", **labels},
        {"summary": f"5xx on web-{n}", "runbook_url": "https://runbooks.example.com/checkout"},
    )


def alertmanager(harness: Harness) -> Alertmanager:
    return Alertmanager(harness.url, TOKEN)


def notify(harness: Harness, alerts: list[Alert], sender: Alertmanager | None = None) -> requests.Response:
    answer = (sender or alertmanager(harness)).notify({"alertname": "CheckoutErrors"}, alerts)
    harness.settle()
    return answer


def posts(harness: Harness) -> list[dict[str, Any]]:
    """The alert groups' messages (an incident's summary names the group too)."""
    groups = (":red_circle: *CheckoutErrors", ":large_green_circle: *CheckoutErrors", ":mute: *CheckoutErrors")
    return [m for m in harness.sim.messages(STATUS) if m["text"].startswith(groups)]


def pages(harness: Harness, user: str) -> list[str]:
    return [m["text"] for m in harness.sim.dms(user) if "You are paged" in m["text"]]


def test_a_group_of_three_alerts_is_one_message_and_a_fourth_updates_it(harness: Harness) -> None:
    alerts = [checkout(1), checkout(2), checkout(3)]
    assert notify(harness, alerts).status_code == 200
    [message] = posts(harness)
    assert message["text"].startswith(":red_circle: *CheckoutErrors · checkout*: 3 firing since")
    section = message["blocks"][0]["text"]["text"]
    assert "• 5xx on web-1 (<http://prometheus.example.com:9090/graph?g0.expr=up|source> · " in section
    assert "<https://runbooks.example.com/checkout|runbook>" in section
    assert [e["text"]["text"] for e in message["blocks"][-1]["elements"]] == [
        "Acknowledge",
        "Silence 1h",
        "Declare incident",
    ]
    notify(harness, [*alerts, checkout(4)])
    [message] = posts(harness)
    assert message["text"].startswith(":red_circle: *CheckoutErrors · checkout*: 4 firing")


def test_a_group_resolved_by_its_source_turns_green_with_a_reply_saying_how_long_it_lasted(harness: Harness) -> None:
    alerts = [checkout(1), checkout(2)]
    notify(harness, alerts)
    harness.clock.advance(timedelta(minutes=12))
    for alert in alerts:
        alert.ends_at = harness.clock.now()
    notify(harness, alerts)
    [message] = posts(harness)
    assert message["text"] == ":large_green_circle: *CheckoutErrors · checkout*: resolved after 12m"
    assert [r["text"] for r in harness.sim.replies(STATUS, message["ts"])] == [
        ":large_green_circle: Resolved: it lasted 12m."
    ]


def test_an_alert_not_heard_of_for_resolve_after_resolves(harness: Harness) -> None:
    notify(harness, [checkout(1)])
    harness.advance(timedelta(hours=3, minutes=59))
    assert posts(harness)[0]["text"].startswith(":red_circle:")
    notify(harness, [checkout(1)])  # Alertmanager repeats a firing group: news, not a redelivery
    harness.advance(timedelta(hours=3, minutes=59))
    assert posts(harness)[0]["text"].startswith(":red_circle:")
    harness.advance(timedelta(minutes=2))
    assert posts(harness)[0]["text"].startswith(":large_green_circle:")


@pytest.mark.both_databases
def test_a_flapping_alert_makes_one_message_and_one_page(harness: Harness) -> None:
    alert = checkout(1, severity="critical")
    for flap in range(20):
        alert.ends_at = harness.clock.now() if flap % 2 else None
        notify(harness, [alert])
        harness.clock.advance(timedelta(minutes=1))
    assert len(posts(harness)) == 1
    incidents = [m for m in harness.sim.messages(STATUS) if m["text"].startswith(":rotating_light: *Incident")]
    assert len(incidents) == 1 and len(pages(harness, JAMES)) == 1
    assert len(harness.sim.replies(STATUS, posts(harness)[0]["ts"])) == 1, "one resolve reply an hour at most"


@pytest.mark.both_databases
def test_fifty_groups_firing_for_one_service_open_one_incident_and_page_once(harness: Harness) -> None:
    sender = alertmanager(harness)
    for n in range(50):
        sender.notify(
            {"alertname": f"Check{n}"},
            [Alert({"alertname": f"Check{n}", "service": "checkout", "severity": "critical"})],
        )
    harness.settle()
    incidents = [m for m in harness.sim.messages(STATUS) if m["text"].startswith(":rotating_light: *Incident")]
    assert len(incidents) == 1
    assert len(pages(harness, JAMES)) == 1
    thread = [r["text"] for r in harness.sim.replies(STATUS, incidents[0]["ts"])]
    assert sum("joined this incident" in t for t in thread) == 49
    groups = [m for m in harness.sim.messages(STATUS) if m["text"].startswith(":red_circle: *Check")]
    assert len(groups) == 50 and all("Incident #1" in str(m["blocks"]) for m in groups)


@pytest.mark.both_databases
def test_a_silenced_alert_is_recorded_and_listed_never_posted_and_posted_when_the_silence_ends(
    harness: Harness,
) -> None:
    harness.driver.command(ADMIN, "/alerts", "silence instance=web-2 for 1h Zuora maintenance")
    assert "Silence #1 on `instance=web-2`" in harness.sim.ephemerals_for(ADMIN)[-1]["text"]
    notify(harness, [checkout(2)])
    assert posts(harness) == []
    harness.driver.command(BOB, "/alerts", "silences")
    assert "#1 `instance=web-2`" in harness.sim.ephemerals_for(BOB)[-1]["text"]
    notify(harness, [checkout(1), checkout(2)])
    [message] = posts(harness)
    assert ": 1 firing" in message["text"] and "web-2" not in str(message["blocks"]), "one alert of a group alone"
    harness.advance(timedelta(hours=1))
    [message] = posts(harness)
    assert ": 2 firing" in message["text"], "the silence ended while it fired: shown then"


def test_an_alert_in_a_maintenance_window_is_held_back_and_shown_after_it(harness: Harness) -> None:
    harness.driver.command(ADMIN, "/maintenance", '"checkout" 2026-11-23T08:00 2026-11-23T10:00 Zuora upgrade')
    assert "Maintenance #1 for checkout" in harness.sim.ephemerals_for(ADMIN)[-1]["text"]
    notify(harness, [checkout(1, severity="critical")])
    assert posts(harness) == [] and pages(harness, JAMES) == []
    harness.driver.command(BOB, "/maintenance", "list")
    assert "#1 checkout:" in harness.sim.ephemerals_for(BOB)[-1]["text"]
    harness.advance(timedelta(hours=2))
    assert len(posts(harness)) == 1 and len(pages(harness, JAMES)) == 1


def test_silences_and_maintenance_are_for_the_policys_people_and_admins(harness: Harness) -> None:
    harness.driver.command(BOB, "/alerts", "silence service=checkout for 1h")
    assert (
        "Only the escalation policy's people, or an admin, may silence alerts"
        in harness.sim.ephemerals_for(BOB)[-1]["text"]
    )
    harness.driver.command(BOB, "/maintenance", "checkout 2026-11-23T09:00 2026-11-23T10:00")
    assert harness.sim.ephemerals_for(BOB)[-1]["text"].startswith("Only the escalation policy's people")
    harness.driver.command(JAMES, "/alerts", "silence service=checkout for 1h")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].startswith("Silence #1")
    notify(harness, [checkout(1)])
    assert posts(harness) == []


def test_the_buttons_acknowledge_silence_and_declare(harness: Harness) -> None:
    notify(harness, [checkout(1)])
    harness.driver.click(BOB, "Acknowledge", channel=STATUS)
    assert f"Seen by <@{BOB}>" in str(posts(harness)[0]["blocks"])
    harness.driver.click(BOB, "Silence 1h", channel=STATUS)
    assert harness.sim.ephemerals_for(BOB)[-1]["text"].startswith("Only the escalation policy's people")
    harness.driver.click(BOB, "Declare incident", channel=STATUS)
    assert harness.sim.ephemerals_for(BOB)[-1]["text"] == "This alert group is incident #1."
    assert len(pages(harness, JAMES)) == 1
    harness.driver.click(JAMES, "Silence 1h", channel=STATUS)
    assert posts(harness)[0]["text"].startswith(":mute: *CheckoutErrors · checkout*: held back")
    assert harness.sim.replies(STATUS, posts(harness)[0]["ts"]) == [], "held back is not resolved"
    harness.driver.command(JAMES, "/alerts")
    assert (
        "*Held back (recorded, not posted)*\n• CheckoutErrors · checkout: 5xx on web-1"
        in (harness.sim.ephemerals_for(JAMES)[-1]["text"])
    )
    alert = checkout(1)
    alert.ends_at = harness.clock.now()
    notify(harness, [alert])
    assert posts(harness)[0]["text"].startswith(":large_green_circle:"), "held back, then resolved by its source"


def test_grafana_sentry_and_generic_alerts_each_make_their_group(harness: Harness) -> None:
    grafana = Grafana(harness.url, TOKEN)
    grafana.notify(
        {"alertname": "High memory usage"},
        [Alert({"alertname": "High memory usage", "service": "zuora-sync"}, {"summary": "memory at 95%"})],
    )
    assert (
        Sentry(harness.url, SENTRY_SECRET)
        .alert("4711", "NoMethodError: undefined method `total'", "New issues")
        .status_code
        == 200
    )
    assert (
        GenericAlerts(harness.url, TOKEN)
        .alert("Sidekiq queue backed up", service="customersdot", description="12k jobs")
        .status_code
        == 200
    )
    harness.settle()
    texts = [m["text"] for m in harness.sim.messages(STATUS)]
    assert any(t.startswith(":red_circle: *High memory usage · zuora-sync*: 1 firing") for t in texts)
    assert any(t.startswith(":red_circle: *New issues · customers-app*: 1 firing") for t in texts)
    assert any(t.startswith(":red_circle: *Sidekiq queue backed up · customersdot*: 1 firing") for t in texts)
    grafana_post = next(m for m in harness.sim.messages(STATUS) if "High memory" in m["text"])
    assert "|dashboard>" in str(grafana_post["blocks"]) and "|silence there>" in str(grafana_post["blocks"])
    GenericAlerts(harness.url, TOKEN).alert(
        "Sidekiq queue backed up", service="customersdot", end_time="2026-11-23T08:30:00Z"
    )
    harness.settle()
    assert any(m["text"].startswith(":large_green_circle: *Sidekiq") for m in harness.sim.messages(STATUS))


def test_wrong_credentials_get_401_and_leave_no_trace(harness: Harness) -> None:
    assert notify(harness, [checkout(1)], Alertmanager(harness.url, "wrong")).status_code == 401
    answer = requests.post(harness.url + "/alerts/generic", json={"title": "x"}, timeout=10)
    assert answer.status_code == 401
    forged = Sentry(harness.url, "not-the-secret").alert("1", "forged", "rule")
    assert forged.status_code == 401
    harness.settle()
    assert harness.sim.messages(STATUS) == []


@pytest.mark.both_databases
def test_the_same_delivery_twice_has_one_effect(harness: Harness) -> None:
    sender = alertmanager(harness)
    body = sender.payload({"alertname": "CheckoutErrors"}, [checkout(1)])
    for _ in range(2):
        answer = requests.post(
            harness.url + "/alerts/alertmanager", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert answer.status_code == 200
    assert answer.json() == {"message": "already received"}
    sentry = Sentry(harness.url, SENTRY_SECRET)
    assert sentry.alert("7", "boom", "rule", request_id="r-1").json() == {"message": "accepted"}
    assert sentry.alert("7", "boom", "rule", request_id="r-1").json() == {"message": "already received"}
    harness.settle()
    assert len(posts(harness)) == 1


def test_a_body_that_is_not_an_alert_gets_400(harness: Harness) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for body in ({"alerts": "nope"}, {"alerts": [{"status": "maybe", "labels": {}}]}):
        answer = requests.post(harness.url + "/alerts/alertmanager", json=body, headers=headers, timeout=10)
        assert answer.status_code == 400
    assert requests.post(harness.url + "/alerts/generic", data=b"[1]", headers=headers, timeout=10).status_code == 400


def test_what_people_type_into_silences_and_windows_is_kept_plain_and_shown_inert(harness: Harness) -> None:
    harness.driver.command(ADMIN, "/alerts", "silence service=R&D for 1h <!channel> see <https://evil|https://ok>")
    harness.driver.command(ADMIN, "/alerts", "silences")
    listed = harness.sim.ephemerals_for(ADMIN)[-1]["text"]
    assert "`service=R&amp;D`" in listed and "&amp;amp;" not in listed
    assert listed.endswith(": @channel see https://evil"), "no mention, and the link shows where it goes"
    notify(harness, [checkout(1, service="R&D")])
    assert harness.sim.messages(STATUS) == [], "the matcher holds the alert whose label is R&D"


def test_acknowledging_a_group_with_an_incident_is_for_its_responders(harness: Harness) -> None:
    notify(harness, [checkout(1, severity="critical")])
    assert "Incident #1" in str(posts(harness)[0]["blocks"])
    harness.driver.click(BOB, "Acknowledge", channel=STATUS)
    assert harness.sim.ephemerals_for(BOB)[-1]["text"].startswith("Only its responders")
    incident = next(m for m in harness.sim.messages(STATUS) if m["text"].startswith(":rotating_light: *Incident #1"))
    assert "Acknowledged" not in harness.sim.message(STATUS, incident["ts"])["text"]
    harness.driver.click(JAMES, "Acknowledge", channel=STATUS)
    assert "Acknowledged by" in harness.sim.message(STATUS, incident["ts"])["text"]
