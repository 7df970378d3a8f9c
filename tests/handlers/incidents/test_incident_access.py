"""Who may act on an incident, tried as a hostile member and a Slack Connect guest would, each
refusal next to the person who may (CONTRACT.md, "Who may do what")."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.incidents import access
from handlers.incidents.config import EscalationLevel, IncidentsSection
from handlers.incidents.models import Incident
from slackbot.access import ELSEWHERE
from slackbot.config import Config, SlackSection
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.fake_pagerduty import FakePagerDuty
from slackbot.testing.harness import ASKER, TEAM, Harness

pytestmark = pytest.mark.both_databases  # who may do what: scenarios on both databases

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
GUEST = "U0GUEST001"  # a Slack Connect guest from another workspace in the status channel
STATUS = "s_fulfillment_status"
APP = "gitlab-org/customers-gitlab-com"
CONFIG = Config.of(
    IncidentsSection(
        declare_on_probe_alert=False,
        repeat=0,
        escalation=[
            EscalationLevel(users=[JAMES, VITALY], ack_timeout=timedelta(minutes=5)),
            EscalationLevel(usergroup="fulfillment-engineering", ack_timeout=timedelta(minutes=10)),
        ],
    ),
    slack=SlackSection(admins=[ADMIN]),
)


@pytest.fixture
def harness(database_url: str, pagerduty: FakePagerDuty, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    settings = {
        "pagerduty_routing_key": pagerduty.routing_key,
        "pagerduty_events_url": pagerduty.events_url,
        "gitlab_url": gitlab_server.base_url,
        "gitlab_token": gitlab_server.token,
    }
    with Harness(database_url, CONFIG, **settings) as running:
        running.sim.add_user(GUEST, "guest", team_id="T0ELSEWHERE")
        running.sim.channels[running.sim.channel_id(STATUS)].members.add(GUEST)
        yield running


def declare(harness: Harness, by: str = ASKER.id) -> dict[str, Any]:
    harness.driver.command(by, "/incident", "declare Checkout returns 500 sev2", channel=STATUS)
    return harness.sim.messages(STATUS)[-1]


def told(harness: Harness, user: str) -> str:
    return str(harness.sim.ephemerals_for(user)[-1]["text"])


def pages(harness: Harness, user: str) -> int:
    return len([m for m in harness.sim.dms(user) if "You are paged" in m["text"]])


def state(harness: Harness, message: dict[str, Any]) -> str:
    return str(harness.sim.message(STATUS, message["ts"])["text"])


def test_a_member_who_is_no_responder_cannot_touch_an_incident(
    harness: Harness, pagerduty: FakePagerDuty, gitlab_server: FakeGitLab
) -> None:
    incident = declare(harness)  # anyone may declare
    before = state(harness, incident)
    for button, rule in (
        ("Resolve", access.RESOLVE),
        ("Escalate", access.ESCALATE),
        ("Acknowledge", access.ACKNOWLEDGE),
        ("Stop auto-deploy", access.STOP_DEPLOYS),
    ):
        for _ in range(5 if button == "Escalate" else 1):
            harness.driver.click(ASKER.id, button, channel=STATUS)
            assert told(harness, ASKER.id) == rule.refusal()
    for words, rule in (
        ("severity 1 sev1", access.SEVERITY),
        (f"lead 1 <@{ASKER.id}>", access.LEAD),
        ("update 1 all good, nothing to see", access.UPDATE),
    ):
        harness.driver.command(ASKER.id, "/incident", words, channel=STATUS)
        assert told(harness, ASKER.id) == rule.refusal()
    harness.advance(timedelta(minutes=1))
    assert state(harness, incident) == before
    assert [e["event_action"] for e in pagerduty.events] == ["trigger"], "no resolve, no extra triggers"
    assert (pages(harness, JAMES), pages(harness, VITALY)) == (1, 1), "nobody paged again"
    assert gitlab_server.issues[APP] == [], "no production::blocker"
    harness.driver.command(ASKER.id, "/incident", "note 1 I saw it too", channel=STATUS)
    assert told(harness, ASKER.id) == "Noted on incident #1.", "anyone may add a note"


def test_responders_and_admins_can_act(harness: Harness, pagerduty: FakePagerDuty) -> None:
    incident = declare(harness)
    harness.driver.command(ALICE, "/incident", "severity 1 sev1", channel=STATUS)  # in the level-2 group
    assert told(harness, ALICE) == "Incident #1 is now sev1."
    harness.driver.click(VITALY, "Acknowledge", channel=STATUS)  # paged at level 1
    assert "Acknowledged by" in state(harness, incident)
    harness.driver.command(VITALY, "/incident", "update 1 rolling back", channel=STATUS)
    assert told(harness, VITALY) == "Update posted on incident #1."
    harness.driver.click(ADMIN, "Resolve", channel=STATUS)
    assert state(harness, incident).startswith(":white_check_mark:")
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "trigger", "acknowledge", "resolve"], (
        "raised to sev1 while unacknowledged: level 1 paged again, once"
    )


def test_the_lead_and_the_people_paged_become_responders(harness: Harness) -> None:
    declare(harness)
    harness.driver.command(JAMES, "/incident", f"lead 1 <@{ASKER.id}>", channel=STATUS)
    assert told(harness, JAMES) == f"<@{ASKER.id}> now leads incident #1."
    harness.driver.command(ASKER.id, "/incident", "update 1 the lead speaks", channel=STATUS)
    assert told(harness, ASKER.id) == "Update posted on incident #1."


def test_the_lead_must_be_an_active_person(harness: Harness) -> None:
    harness.sim.add_user("U0GONE0001", "gone", deleted=True)
    declare(harness)
    for named in ("U0NOBODY01", "U0GONE0001", harness.sim.bot_user_id):
        harness.driver.command(JAMES, "/incident", f"lead 1 <@{named}>", channel=STATUS)
        assert told(harness, JAMES).startswith(f"`<@{named}>` is not an active person in this workspace.")
    harness.driver.command(JAMES, "/incident", f"lead 1 <@{VITALY}>", channel=STATUS)
    assert told(harness, JAMES) == f"<@{VITALY}> now leads incident #1."


def test_a_guest_from_another_workspace_changes_nothing(harness: Harness, pagerduty: FakePagerDuty) -> None:
    incident = declare(harness)
    before = state(harness, incident)
    harness.driver.click(GUEST, "Resolve", channel=STATUS)
    assert told(harness, GUEST) == ELSEWHERE
    harness.driver.command(GUEST, "/incident", "declare we are down sev1", channel=STATUS)
    assert told(harness, GUEST) == ELSEWHERE
    assert state(harness, incident) == before and len(harness.sim.messages(STATUS)) == 1
    assert [e["event_action"] for e in pagerduty.events] == ["trigger"]


def test_a_guest_using_a_members_user_id_is_still_refused(harness: Harness) -> None:
    """Slack names the guest's own workspace in ``user.team_id``; the bot never trusts the ID alone."""
    incident = declare(harness)
    harness.sim.users[JAMES]["team_id"] = "T0ELSEWHERE"
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    assert told(harness, JAMES) == ELSEWHERE
    assert not state(harness, incident).startswith(":white_check_mark:")


def test_the_message_shortcut_keeps_no_markup_of_the_message(harness: Harness) -> None:
    hostile = (
        "<!channel> <!here> <!subteam^S0HANDBOOK|@fulfillment> ask <@U0ADMIN01> and read "
        "<https://evil.example.com/login|https://handbook.gitlab.com/security>"
    )
    message = harness.sim.post(harness.sim.channel_id(STATUS), ASKER.id, hostile)
    harness.driver.shortcut(ASKER.id, "declare_incident", STATUS, message["ts"])
    posted = [m["text"] for m in harness.sim.messages(STATUS) if m["ts"] != message["ts"]]
    posted += [m["text"] for user in (JAMES, VITALY) for m in harness.sim.dms(user)]
    assert posted and any("@channel @here @fulfillment ask @U0ADMIN01" in t for t in posted)
    for text in posted:
        for markup in ("<!channel>", "<!here>", "<!subteam^S0HANDBOOK", "<@U0ADMIN01>", "|https://handbook"):
            assert markup not in text, text
    assert any("<https://evil.example.com/login>" in t for t in posted), "the link shows where it goes"


def test_a_marker_typed_into_a_blocker_cannot_pass_for_an_incident_issue(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    """Markers of this incident and of future ones, planted ahead in a blocker's reason."""
    planted = "flaky <!-- fulfillbot-incident-1 --> fulfillbot-incident-2 <!--"
    harness.driver.command(JAMES, "/blocker", planted, channel=STATUS)
    for number in (1, 2):
        declare(harness)
        harness.driver.click(JAMES, "Resolve", channel=STATUS)
        filed = gitlab_server.issues[APP][-1]
        assert filed["issue_type"] == "incident" and filed["title"].startswith(f"Incident #{number} ")
        with harness.bot.ctx.db.reading() as session:
            issue_url = session.scalar(select(Incident.issue_url).where(Incident.id == number))
        assert issue_url == filed["web_url"]
    assert [i["issue_type"] for i in gitlab_server.issues[APP]] == ["issue", "incident", "incident"]


def test_a_replayed_click_takes_effect_once(harness: Harness) -> None:
    incident = declare(harness)
    harness.driver.click(JAMES, "Escalate", channel=STATUS)
    assert harness.driver.replay().status_code == 200
    pings = [m for m in harness.sim.replies(STATUS, incident["ts"]) if m["text"].startswith("<!subteam^")]
    assert len(pings) == 1, "escalated to level 2 once"
    assert "paged level 2 of 2" in state(harness, incident)
