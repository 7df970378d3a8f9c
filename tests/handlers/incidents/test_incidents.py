"""Incidents and escalation paging against the Slack simulator and a fake PagerDuty, fake clock."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.incidents.config import EscalationLevel, IncidentsSection
from handlers.incidents.policy import next_step
from handlers.status.config import Probe, StatusSection
from slackbot.config import Config
from slackbot.models import OutboxItem
from slackbot.testing.endpoint import FlippableEndpoint
from slackbot.testing.fake_pagerduty import FakePagerDuty
from slackbot.testing.harness import TEAM, Harness
from tests.handlers.support import race_job

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
STATUS = "s_fulfillment_status"
POLICY = IncidentsSection(
    declare_on_probe_alert=True,
    repeat=1,
    escalation=[
        EscalationLevel(users=[JAMES, VITALY], ack_timeout=timedelta(minutes=5)),
        EscalationLevel(usergroup="fulfillment-engineering", ack_timeout=timedelta(minutes=10)),
    ],
)


@pytest.fixture
def harness(database_url: str, pagerduty: FakePagerDuty) -> Iterator[Harness]:
    settings = {"pagerduty_routing_key": pagerduty.routing_key, "pagerduty_events_url": pagerduty.events_url}
    with Harness(database_url, Config.of(POLICY), **settings) as running:
        yield running


def declare(harness: Harness, text: str = "Checkout returns 500 sev1", user: str = ALICE) -> dict[str, Any]:
    harness.driver.command(user, "/incident", f"declare {text}", channel=STATUS)
    return harness.sim.messages(STATUS)[-1]


def pages(harness: Harness, user: str) -> list[str]:
    return [m["text"] for m in harness.sim.dms(user) if "You are paged" in m["text"]]


def thread(harness: Harness, message: dict[str, Any]) -> list[str]:
    return [m["text"] for m in harness.sim.replies(STATUS, message["ts"])]


def group_pings(harness: Harness, message: dict[str, Any]) -> list[str]:
    return [t for t in thread(harness, message) if t.startswith("<!subteam^")]


def test_a_full_escalation_through_users_and_a_user_group_with_repeat(
    harness: Harness, pagerduty: FakePagerDuty
) -> None:
    incident = declare(harness)
    assert incident["text"].startswith(
        ":rotating_light: *Incident #1 (sev1): Checkout returns 500*\nOpen: paged level 1 of 2"
    )
    assert [e["text"]["text"] for e in incident["blocks"][1]["elements"]] == [
        "Acknowledge",
        "Escalate",
        "Resolve",
        "Stop auto-deploy",
    ]
    assert len(pages(harness, JAMES)) == 1 and len(pages(harness, VITALY)) == 1
    assert pages(harness, JAMES)[0].startswith(":rotating_light: You are paged (level 1 of 2) for *Incident #1 (sev1)")
    assert [e["event_action"] for e in pagerduty.events] == ["trigger"]

    harness.advance(timedelta(minutes=4, seconds=59))
    assert group_pings(harness, incident) == []
    harness.advance(timedelta(seconds=1))
    group = next(g for g, v in harness.sim.usergroups.items() if v["handle"] == "fulfillment-engineering")
    assert group_pings(harness, incident) == [
        f"<!subteam^{group}> please help with *Incident #1 (sev1): Checkout returns 500*: "
        "nobody has acknowledged it yet."
    ]
    assert "paged level 2 of 2" in harness.sim.message(STATUS, incident["ts"])["text"]

    harness.advance(timedelta(minutes=10))
    assert len(pages(harness, JAMES)) == 2, "the policy repeats once"
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "trigger"]
    harness.advance(timedelta(minutes=5))
    assert len(group_pings(harness, incident)) == 2
    harness.advance(timedelta(minutes=9))
    assert not any("stopped" in t for t in thread(harness, incident))
    harness.advance(timedelta(minutes=1))
    stopped = [m for m in harness.sim.replies(STATUS, incident["ts"]) if "stopped" in m["text"]]
    assert [m["text"] for m in stopped] == [
        ":warning: Escalation of incident #1 stopped: nobody acknowledged after 2 rounds of the policy. "
        "It is still open."
    ]
    assert stopped[0]["subtype"] == "thread_broadcast", "said in the channel"
    harness.advance(timedelta(hours=2))
    assert (len(pages(harness, JAMES)), len(group_pings(harness, incident))) == (2, 2)
    assert "escalation stopped" in harness.sim.message(STATUS, incident["ts"])["text"]


def test_acknowledge_stops_everything_at_once(harness: Harness, pagerduty: FakePagerDuty) -> None:
    incident = declare(harness)
    harness.clock.advance(timedelta(minutes=6))  # level 2 is due, but no tick has run yet
    harness.driver.click(VITALY, "Acknowledge")
    harness.tick()
    harness.advance(timedelta(hours=3))
    assert group_pings(harness, incident) == [], "the due step saw the ack and paged nobody"
    assert len(harness.sim.dms(JAMES)) == 1
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "acknowledge"]
    assert harness.sim.message(STATUS, incident["ts"])["text"].startswith(
        f":eyes: *Incident #1 (sev1): Checkout returns 500*\nAcknowledged by <@{VITALY}>"
    )
    assert thread(harness, incident) == [f":eyes: Acknowledged by <@{VITALY}> after 6m."]
    assert harness.sim.dms(JAMES)[0]["text"].endswith("no action needed from you."), "the other page is closed"
    assert harness.sim.dms(JAMES)[0]["blocks"] == []
    harness.driver.click(JAMES, "Acknowledge", channel=STATUS)
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"] == "Incident #1 is already acknowledged."


def test_a_page_that_could_not_be_sent_is_retried_but_never_after_an_ack(harness: Harness) -> None:
    harness.sim.fail("chat.postMessage", times=1, status=500)
    harness.driver.command(ALICE, "/incident", "declare Checkout returns 500 sev1", channel=STATUS)
    assert harness.sim.messages(STATUS) == [], "Slack refused the incident's message"
    assert harness.sim.ephemerals_for(ALICE)[-1]["text"].startswith("Declared incident #1"), "recorded, and said so"
    harness.advance(timedelta(seconds=15))
    incident = harness.sim.messages(STATUS)[0]
    assert len(pages(harness, JAMES)) == 1, "the page waited at most 2 s for its link, then went"
    harness.advance(timedelta(minutes=5))
    harness.sim.fail("chat.postMessage", times=40, status=503)
    harness.advance(timedelta(minutes=10))  # level 1 again: both DMs fail, stay pending
    assert len(pages(harness, JAMES)) == 1
    with harness.bot.ctx.db.reading() as session:
        query = select(OutboxItem).where(OutboxItem.kind == "incidents.page", OutboxItem.state == "pending")
        pending = list(session.scalars(query))
    assert {p.lane for p in pending} == {f"slack:{JAMES}", f"slack:{VITALY}"} and all(p.attempts >= 1 for p in pending)
    harness.sim.clear_faults()
    harness.driver.click(ALICE, "Acknowledge", channel=STATUS)
    harness.advance(timedelta(minutes=1))
    assert len(harness.sim.dms(JAMES)) == 1 and len(harness.sim.dms(VITALY)) == 1, "cancelled, never sent"
    assert group_pings(harness, incident) != []


def test_pages_that_fail_are_retried_until_delivered(harness: Harness, pagerduty: FakePagerDuty) -> None:
    pagerduty.fail_next(429, 500)
    declare(harness)
    assert pagerduty.events == []
    harness.advance(timedelta(seconds=15))
    harness.advance(timedelta(seconds=15))
    assert [e["event_action"] for e in pagerduty.events] == ["trigger"]


def test_escalate_pages_the_next_level_now(harness: Harness) -> None:
    incident = declare(harness)
    harness.driver.click(JAMES, "Escalate")
    assert len(group_pings(harness, incident)) == 1
    harness.advance(timedelta(minutes=9))
    assert len(pages(harness, JAMES)) == 1, "the next step waits the escalated level's own timeout"
    harness.advance(timedelta(minutes=1))
    assert len(pages(harness, JAMES)) == 2


def test_resolve_posts_the_timeline_with_tta_and_ttr(harness: Harness, pagerduty: FakePagerDuty) -> None:
    incident = declare(harness)
    harness.advance(timedelta(minutes=5))
    harness.advance(timedelta(minutes=2))
    harness.driver.click(JAMES, "Acknowledge")
    harness.advance(timedelta(minutes=13))
    harness.driver.command(JAMES, "/incident", "note rolled back deploy 42", channel=STATUS)
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    timeline = thread(harness, incident)[-1].splitlines()
    assert timeline[0] == "*Timeline of incident #1*"
    assert [line.split("` ", 1)[1] for line in timeline[1:-1]] == [
        f"declared by <@{ALICE}>: sev1, from command: Checkout returns 500",
        f"paged: level 1: <@{JAMES}>, <@{VITALY}>",
        "paged: level 2: @fulfillment-engineering",
        f"acknowledged by <@{JAMES}>",
        f"note by <@{JAMES}>: rolled back deploy 42",
        f"resolved by <@{JAMES}>",
    ]
    assert timeline[-1] == "Time to acknowledge: 7m. Time to resolve: 20m."
    assert "actions" not in [b["type"] for b in harness.sim.message(STATUS, incident["ts"])["blocks"]]
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "acknowledge", "resolve"]

    declare(harness, "Billing sync stuck sev3")
    harness.advance(timedelta(minutes=30))
    harness.driver.click(BOB, "Resolve", channel=STATUS)
    harness.driver.command(JAMES, "/incident", "stats 4")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"] == (
        "*Incidents, last 4 weeks*: 2 declared, 2 resolved. MTTA 18m 30s, MTTR 25m.\n_The chart is in your DM with me._"
    )
    [chart] = harness.sim.files_in(JAMES)
    assert chart["mimetype"] == "image/png" and chart["alt_txt"].startswith(
        "Stacked bar chart of the 2 incidents declared per week over 4 weeks by severity"
    )
    assert harness.sim.dms(JAMES)[-1]["text"].startswith("*Incidents, last 4 weeks*: 2 declared"), "the fallback"

    for _ in range(3):  # charts cost CPU to draw: a few a minute per person, then the figures alone
        harness.driver.command(JAMES, "/incident", "stats 4")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].endswith(
        "_No chart this time: you asked for 3 in the last minute. Try again soon._"
    )
    assert len(harness.sim.files_in(JAMES)) == 3
    harness.advance(timedelta(minutes=1))
    harness.driver.command(JAMES, "/incident", "stats 4")
    assert len(harness.sim.files_in(JAMES)) == 4, "a minute later, a chart again"


def test_pagerduty_events_field_by_field(harness: Harness, pagerduty: FakePagerDuty) -> None:
    incident = declare(harness)
    harness.driver.click(JAMES, "Acknowledge")
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    trigger, acknowledge, resolve = pagerduty.events
    permalink = f"https://simulated.slack.local/archives/{incident['channel']}/p{incident['ts'].replace('.', '')}"
    assert trigger == {
        "routing_key": pagerduty.routing_key,
        "event_action": "trigger",
        "dedup_key": "fulfillbot-incident-1",
        "payload": {
            "summary": "Incident #1 (sev1): Checkout returns 500",
            "source": "fulfillbot",
            "severity": "critical",
            "component": "fulfillment",
            "group": "fulfillment",
            "class": "command",
            "custom_details": {"incident": 1, "declared_by": ALICE, "level": 1},
        },
        "links": [{"href": permalink, "text": "Incident in Slack"}],
    }
    assert acknowledge == {
        "routing_key": pagerduty.routing_key,
        "event_action": "acknowledge",
        "dedup_key": "fulfillbot-incident-1",
    }
    assert resolve == {
        "routing_key": pagerduty.routing_key,
        "event_action": "resolve",
        "dedup_key": "fulfillbot-incident-1",
    }


def test_a_restart_mid_escalation_carries_on_with_the_snapshotted_policy(harness: Harness) -> None:
    incident = declare(harness)
    harness.advance(timedelta(minutes=3))
    changed = IncidentsSection(escalation=[EscalationLevel(users=[BOB], ack_timeout=timedelta(minutes=1))])
    harness.config = harness.config.with_section(changed)
    harness.restart()
    harness.advance(timedelta(minutes=1))
    assert group_pings(harness, incident) == []
    harness.advance(timedelta(minutes=1))
    assert len(group_pings(harness, incident)) == 1, "level 2 of the policy the incident opened with"
    assert pages(harness, BOB) == []
    harness.restart()
    harness.advance(timedelta(seconds=15))
    assert len(group_pings(harness, incident)) == 1


@pytest.mark.both_databases
def test_two_schedulers_never_double_page(harness: Harness) -> None:
    incident = declare(harness)
    harness.clock.advance(timedelta(minutes=5))
    race_job(harness, "incidents.escalation", runners=3)
    assert len(group_pings(harness, incident)) == 1


def test_probe_alerts_open_one_incident_per_outage(database_url: str) -> None:
    endpoint = FlippableEndpoint().start()
    probe = Probe(
        name="CustomersDot production", url=endpoint.url, interval=timedelta(minutes=1), failures_before_alert=2
    )
    config = Config.of(POLICY, StatusSection(probes=[probe]))
    try:
        with Harness(database_url, config) as harness:
            endpoint.flip("error")
            for _ in range(6):
                harness.advance(timedelta(minutes=1))
            incidents = [m for m in harness.sim.messages(STATUS) if m["text"].startswith(":rotating_light: *Incident")]
            assert [m["text"].splitlines()[0] for m in incidents] == [
                ":rotating_light: *Incident #1 (sev1): CustomersDot production is down: HTTP 500 (expected 200)*"
            ]
            assert len(pages(harness, JAMES)) == 1
            endpoint.flip("healthy")
            harness.advance(timedelta(minutes=1))
            endpoint.flip("closed")
            for _ in range(3):
                harness.advance(timedelta(minutes=1))
            incidents = [m for m in harness.sim.messages(STATUS) if m["text"].startswith(":rotating_light: *Incident")]
            assert len(incidents) == 2, "a new outage, a new incident"
            assert incidents[1]["text"].startswith(
                ":rotating_light: *Incident #2 (sev1): CustomersDot production is down: connection failed: "
                "[Errno 111] Connection refused*"
            )
    finally:
        endpoint.stop()


def test_the_message_shortcut_declares_from_a_message(harness: Harness) -> None:
    said = harness.driver.say(BOB, "s_fulfillment", "Customers cannot renew subscriptions!\nSeen since 10:00")
    harness.driver.shortcut(BOB, "declare_incident", "s_fulfillment", said["ts"])
    incident = harness.sim.messages(STATUS)[-1]
    assert incident["text"].startswith(
        ":rotating_light: *Incident #1 (sev2): Customers cannot renew subscriptions! (<https://"
    )
    assert harness.sim.ephemerals_for(BOB)[-1]["text"].startswith("Declared incident #1 in <#")


def test_list_notes_and_bad_input(harness: Harness) -> None:
    harness.driver.command(JAMES, "/incident", "declare")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].startswith("Say what is happening:")
    harness.driver.command(JAMES, "/incident", "list")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"] == "No open incidents."
    declare(harness, "First")
    declare(harness, "Second sev3")
    harness.driver.command(JAMES, "/incident", "note which one?")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].startswith("Several incidents are open: say which")
    harness.driver.command(JAMES, "/incident", "note #2 it is the cache")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"] == "Noted on incident #2."
    harness.driver.command(JAMES, "/incident", "list")
    listing = harness.sim.ephemerals_for(JAMES)[-1]["text"].splitlines()
    assert listing[0] == "*Open incidents*"
    assert listing[1].startswith("• #1 sev2 *open*: First (0s ago) <https://")
    assert listing[2].startswith("• #2 sev3 *open*: Second")
    harness.driver.command(JAMES, "/incident", "stats many")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].startswith(
        "`many` is not a number of weeks: give a whole number from 1 to 52."
    )


def test_policy_steps() -> None:
    policy = {
        "repeat": 1,
        "levels": [
            {"users": ["U1"], "usergroup": "", "ack_timeout": 300},
            {"users": [], "usergroup": "g", "ack_timeout": 600},
        ],
    }
    steps = []
    level, rounds = 0, 0
    for _ in range(5):
        step = next_step(policy, level, rounds)
        steps.append((step.page_level, step.wait))
        level, rounds = step.next_level, step.rounds
    five, ten = timedelta(minutes=5), timedelta(minutes=10)
    assert steps == [(0, five), (1, ten), (0, five), (1, ten), (None, None)]
    assert next_step({"repeat": 0, "levels": []}, 0, 0).page_level is None
