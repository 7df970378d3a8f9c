"""``/incident page ID @person | @group | ROTATION [note]``: people brought into an incident now,
through the same DMs, responders, channel and PagerDuty as escalation; its responders may, others
may not."""

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from handlers.incidents.config import EscalationLevel, IncidentsSection
from handlers.oncall.config import OncallSection, Rotation
from slackbot.config import Config, Person, SlackSection
from slackbot.testing.fake_pagerduty import FakePagerDuty
from slackbot.testing.harness import TEAM, Harness

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
STATUS = "s_fulfillment_status"
POLICY = IncidentsSection(escalation=[EscalationLevel(users=[JAMES], ack_timeout=timedelta(minutes=5))])
PRIMARY = Rotation(name="primary", users=[ALICE], handoff="mon 08:00", start=date(2026, 11, 23))


@pytest.fixture
def harness(database_url: str, pagerduty: FakePagerDuty) -> Iterator[Harness]:
    config = Config.of(
        POLICY, OncallSection([PRIMARY]), slack=SlackSection(admins=[ADMIN]), people=[Person(slack=p.id) for p in TEAM]
    )
    settings = {"pagerduty_routing_key": pagerduty.routing_key, "pagerduty_events_url": pagerduty.events_url}
    with Harness(database_url, config, **settings) as running:
        running.driver.command(BOB, "/incident", "declare Checkout returns 500 sev1", channel=STATUS)
        yield running


def pages(harness: Harness, user: str) -> list[str]:
    return [m["text"] for m in harness.sim.dms(user) if "You are paged" in m["text"]]


def test_a_responder_pages_a_person_who_then_may_act(harness: Harness, pagerduty: FakePagerDuty) -> None:
    harness.driver.command(JAMES, "/incident", f"page 1 <@{VITALY}|vitaly> the Zuora side looks wrong")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].startswith("Paged <@")
    [page] = pages(harness, VITALY)
    assert page.startswith(
        f":rotating_light: You are paged by <@{JAMES}> for *Incident #1 (sev1): Checkout returns 500*: "
        "the Zuora side looks wrong\n<"
    )
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "trigger"]
    incident = harness.sim.messages(STATUS)[0]
    assert any(f"<@{JAMES}> paged <@{VITALY}>" in r["text"] for r in harness.sim.replies(STATUS, incident["ts"]))
    harness.driver.click(VITALY, "Acknowledge", channel=STATUS)
    assert "Acknowledged by" in harness.sim.message(STATUS, incident["ts"])["text"]


def test_a_rotation_pages_whoever_is_on_call_and_a_group_is_pinged(harness: Harness) -> None:
    harness.driver.command(JAMES, "/incident", "page 1 primary")
    assert len(pages(harness, ALICE)) == 1
    harness.driver.command(JAMES, "/incident", "page 1 @fulfillment-engineering")
    incident = harness.sim.messages(STATUS)[0]
    replies = [r["text"] for r in harness.sim.replies(STATUS, incident["ts"])]
    assert any(r.startswith("<!subteam^") and "please help with *Incident #1" in r for r in replies)


def test_someone_who_is_not_a_responder_may_not_page(harness: Harness) -> None:
    harness.driver.command(VITALY, "/incident", f"page 1 <@{ALICE}|alice>")
    assert harness.sim.ephemerals_for(VITALY)[-1]["text"] == (
        "Only its responders (the people its escalation policy can page, whoever was paged for it, and its "
        "lead), or an admin, may page people into an incident. Nothing was changed."
    )
    assert pages(harness, ALICE) == []
    harness.driver.command(ADMIN, "/incident", f"page 1 <@{ALICE}|alice>")
    assert len(pages(harness, ALICE)) == 1
