"""Running an incident: its own channel, a lead, status updates and their reminders, severity, the
GitLab incident issue on resolve, failed deploys and `Stop auto-deploy`. Against the Slack
simulator and the fake GitLab, with a fake clock."""

import dataclasses
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from handlers.incidents.config import EscalationLevel, IncidentsSection
from slackbot.config import Config, GitLabSection, Person, SlackSection
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.gitlab_payloads import pipeline_hook
from slackbot.testing.harness import TEAM, Harness

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
STATUS = "s_fulfillment_status"
APP = "gitlab-org/customers-gitlab-com"
INCIDENTS = "gitlab-org/fulfillment-incidents"
HOOK_SECRET = "hook-secret"
POLICY = IncidentsSection(
    declare_on_probe_alert=False,
    repeat=0,
    escalation=[
        EscalationLevel(users=[JAMES], ack_timeout=timedelta(minutes=5)),
        EscalationLevel(users=[VITALY], ack_timeout=timedelta(minutes=5)),
    ],
    channel=True,
    gitlab_project=INCIDENTS,
    labels=["group::fulfillment"],
    deploy_jobs=["deploy:*", "production"],
)


def config(**changes: Any) -> Config:
    return Config.of(
        dataclasses.replace(POLICY, **changes),
        gitlab=GitLabSection(watched_refs=["main"]),
        people=[Person(slack=p.id) for p in TEAM],
        slack=SlackSection(admins=[BOB]),  # Bob is no responder: he acts as an admin
    )


@pytest.fixture
def gitlab(gitlab_server: FakeGitLab) -> FakeGitLab:
    gitlab_server.add_project(INCIDENTS)
    return gitlab_server


def running(database_url: str, gitlab: FakeGitLab, **changes: Any) -> Harness:
    return Harness(
        database_url,
        config(**changes),
        gitlab_url=gitlab.base_url,
        gitlab_token=gitlab.token,
        gitlab_webhook_secret=HOOK_SECRET,
    )


@pytest.fixture
def harness(database_url: str, gitlab: FakeGitLab) -> Iterator[Harness]:
    with running(database_url, gitlab) as bot:
        yield bot


def declare(harness: Harness, text: str = "Checkout returns 500 sev2", user: str = ALICE) -> dict[str, Any]:
    harness.driver.command(user, "/incident", f"declare {text}", channel=STATUS)
    return harness.sim.messages(STATUS)[-1]


def answer(harness: Harness, user: str, text: str) -> str:
    harness.driver.command(user, "/incident", text, channel=STATUS)
    return str(harness.sim.ephemerals_for(user)[-1]["text"])


def room(harness: Harness) -> Any:
    return next(c for c in harness.sim.channels.values() if c.name.startswith("inc-"))


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages]


def pages(harness: Harness, user: str) -> int:
    """DM pages, including those closed (edited) once someone acknowledged."""
    return sum("You are paged" in m["text"] or "no action needed" in m["text"] for m in harness.sim.dms(user))


def timeline_in(harness: Harness) -> str:
    return next(m["text"] for m in reversed(room(harness).messages) if m["text"].startswith("*Timeline"))


def test_an_incident_gets_its_own_channel_with_the_people_paged_and_is_archived_a_week_after(
    harness: Harness,
) -> None:
    message = declare(harness, "Checkout returns 500 for EU cards & PayPal sev1")
    channel = room(harness)
    assert channel.name == "inc-1-checkout-returns-500-for-eu-cards-paypal"
    assert {ALICE, JAMES, harness.sim.bot_user_id} <= channel.members, "the declarer and level 1"
    intro = channel.messages[0]
    assert intro["text"].startswith(
        ":rotating_light: *Incident #1 (sev1): Checkout returns 500 for EU cards &amp; PayPal*"
    )
    assert f"/archives/{harness.sim.channel_id(STATUS)}/p" in intro["text"], "a link back to the status message"
    assert [e["text"]["text"] for e in intro["blocks"][1]["elements"]][:3] == ["Acknowledge", "Escalate", "Resolve"]
    assert f"Channel: <#{channel.id}>" in harness.sim.message(STATUS, message["ts"])["text"]

    harness.advance(timedelta(minutes=5))
    assert VITALY in channel.members, "level 2 is invited when it is paged"
    assert answer(harness, JAMES, "note 1 rolled back the last deploy") == "Noted on incident #1."
    harness.driver.click(VITALY, "Acknowledge", channel=channel.id)
    assert texts(channel.messages[1:]) == [
        f":memo: <@{JAMES}>: rolled back the last deploy",
        f":eyes: Acknowledged by <@{VITALY}> after 5m.",
    ]
    assert harness.sim.replies(STATUS, message["ts"]) == [], "the status channel keeps only the message"
    assert "Acknowledged by" in harness.sim.message(STATUS, message["ts"])["text"], "state changes are mirrored"
    harness.driver.click(VITALY, "Resolve", channel=channel.id)
    assert timeline_in(harness).startswith("*Timeline of incident #1*")
    harness.advance(timedelta(days=6, hours=23))
    assert not channel.is_archived
    harness.advance(timedelta(hours=1))
    assert channel.is_archived
    harness.advance(timedelta(hours=1))


def test_a_failed_invitation_is_retried_on_its_own_and_the_channel_is_kept(harness: Harness) -> None:
    harness.sim.fail("conversations.invite", times=2)
    message = declare(harness)
    for _ in range(3):
        harness.advance(timedelta(seconds=30))
    [channel] = [c for c in harness.sim.channels.values() if c.name.startswith("inc-")]
    assert len(harness.sim.calls_to("conversations.create")) == 1, "made once: a retry never makes it again"
    assert {ALICE, JAMES} <= channel.members and channel.messages[0]["text"].startswith(":rotating_light: *Incident #1")
    assert f"Channel: <#{channel.id}>" in harness.sim.message(STATUS, message["ts"])["text"]


def test_a_refused_channel_leaves_the_incident_in_the_status_thread_and_is_logged_once(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.sim.add_channel("inc-1-checkout-returns-500")  # the name is taken
    with caplog.at_level(logging.WARNING):
        message = declare(harness)
        harness.driver.command(JAMES, "/incident", "note 1 looking at the load balancer", channel=STATUS)
        harness.driver.click(JAMES, "Acknowledge", channel=STATUS)
    assert texts(harness.sim.replies(STATUS, message["ts"])) == [
        f":memo: <@{JAMES}>: looking at the load balancer",
        f":eyes: Acknowledged by <@{JAMES}> after 0s.",
    ]
    refusals = [r for r in caplog.records if "refused the channel of incident 1" in r.getMessage()]
    assert len(refusals) == 1 and "name_taken" in refusals[0].getMessage()
    assert "Channel:" not in harness.sim.message(STATUS, message["ts"])["text"]


def test_whoever_acknowledges_leads_until_the_lead_is_handed_over(harness: Harness) -> None:
    harness.tick()  # the first tick reads people's Slack profiles, and so their names
    message = declare(harness)
    harness.driver.click(JAMES, "Acknowledge", channel=STATUS)
    assert f"Lead: <@{JAMES}>" in harness.sim.message(STATUS, message["ts"])["text"]
    assert answer(harness, JAMES, f"lead 1 <@{VITALY}|vitaly>") == f"<@{VITALY}> now leads incident #1."
    assert f"Lead: <@{VITALY}>" in harness.sim.message(STATUS, message["ts"])["text"]
    assert harness.sim.dms(VITALY)[-1]["text"].startswith(f":crown: <@{JAMES}> made you the lead of *Incident #1")
    assert room(harness).messages[-1]["text"] == (
        f":crown: <@{VITALY}> now leads incident #1 (handed over by <@{JAMES}>)."
    )
    assert answer(harness, JAMES, "lead 1 vitaly").startswith("`vitaly` is not someone I know")
    assert answer(harness, JAMES, "lead 1 @nobody").startswith("`@nobody` is not someone I know")
    assert answer(harness, VITALY, "lead 1 @james") == f"<@{JAMES}> now leads incident #1.", "as Slack sends @name"
    harness.driver.open_home(BOB)
    assert f"lead <@{JAMES}>" in str(harness.sim.home_views[BOB]["blocks"])


def test_status_updates_go_to_the_channel_and_the_status_channel_and_the_lead_is_reminded_once_per_gap(
    harness: Harness,
) -> None:
    message = declare(harness)
    harness.driver.click(JAMES, "Acknowledge", channel=STATUS)
    harness.advance(timedelta(minutes=29))
    assert not [m for m in harness.sim.dms(JAMES) if "No status update" in m["text"]]
    harness.advance(timedelta(minutes=1))
    harness.advance(timedelta(minutes=15))
    reminders = [m["text"] for m in harness.sim.dms(JAMES) if "No status update" in m["text"]]
    assert reminders == [
        ":hourglass: No status update on *Incident #1 (sev2): Checkout returns 500* for 30m."
        " Post one with `/incident update 1 TEXT`."
    ]
    assert answer(harness, JAMES, "update the fix is deploying") == "Update posted on incident #1."
    update = f":loudspeaker: *Status update* on incident #1 from <@{JAMES}>: the fix is deploying"
    assert room(harness).messages[-1]["text"] == update
    [broadcast] = harness.sim.replies(STATUS, message["ts"])
    assert broadcast["text"] == update and broadcast["subtype"] == "thread_broadcast"
    harness.advance(timedelta(minutes=29))
    assert len([m for m in harness.sim.dms(JAMES) if "No status update" in m["text"]]) == 1
    harness.advance(timedelta(minutes=1))
    assert len([m for m in harness.sim.dms(JAMES) if "No status update" in m["text"]]) == 2


def test_raising_an_unacknowledged_incident_to_sev1_restarts_escalation_and_other_changes_do_not(
    harness: Harness,
) -> None:
    message = declare(harness)
    harness.advance(timedelta(minutes=5))
    assert (pages(harness, JAMES), pages(harness, VITALY)) == (1, 1)
    assert answer(harness, BOB, "severity 1 sev1") == "Incident #1 is now sev1."
    assert (pages(harness, JAMES), pages(harness, VITALY)) == (2, 1), "level 1 again, at once"
    assert harness.sim.message(STATUS, message["ts"])["text"].startswith(":rotating_light: *Incident #1 (sev1)")
    harness.driver.click(JAMES, "Acknowledge", channel=STATUS)
    assert answer(harness, BOB, "severity 1 sev3") == "Incident #1 is now sev3."
    assert answer(harness, BOB, "severity 1 sev1") == "Incident #1 is now sev1."
    harness.advance(timedelta(minutes=10))
    assert (pages(harness, JAMES), pages(harness, VITALY)) == (2, 1), "acknowledged: nobody is paged again"
    assert answer(harness, BOB, "severity 1 sev9").startswith("Give sev1, sev2 or sev3")
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    timeline = timeline_in(harness)
    assert "severity by <@U0BOB0001>: sev2 → sev1" in timeline and "escalation restarted" in timeline


def test_resolving_files_the_incident_issue_in_gitlab_retried_through_an_outage_exactly_once(
    harness: Harness, gitlab: FakeGitLab
) -> None:
    message = declare(harness, "Renewals fail for EU customers sev1")
    harness.driver.click(JAMES, "Acknowledge", channel=STATUS)
    harness.driver.command(JAMES, "/incident", "update 1 Zuora answers 502; failing over", channel=STATUS)
    harness.driver.command(VITALY, "/incident", "note 1 restarted the sync worker", channel=STATUS)
    harness.advance(timedelta(minutes=20))
    gitlab.fail_next(503, 503, 503)
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    assert gitlab.issues[INCIDENTS] == []
    told = [m["text"] for m in harness.sim.dms(JAMES) if "incident issue" in m["text"]]
    assert told == [
        ":hourglass: Filing the incident issue for #1 failed (503: simulated failure)."
        " I keep trying until GitLab answers."
    ]
    for _ in range(6):
        harness.advance(timedelta(minutes=2))
    [issue] = gitlab.issues[INCIDENTS]
    assert issue["issue_type"] == "incident" and issue["title"] == "Incident #1 (sev1): Renewals fail for EU customers"
    assert issue["labels"] == ["incident", "severity::1", "group::fulfillment"]
    body = issue["description"]
    for expected in (  # Slack names are shown with a zero-width space after "@": no GitLab mention
        "**Summary:** Renewals fail for EU customers",
        "**Severity:** sev1",
        "**Lead:** @\u200bjames",
        "**Paged:** level 1: @\u200bjames",
        "**Declared:** 2026-11-23 08:00 UTC by @\u200balice",
        "**Time to acknowledge:** 0s",
        "**Time to resolve:** 20m",
        f"[status channel](https://simulated.slack.local/archives/{harness.sim.channel_id(STATUS)}/p",
        f"[incident channel](https://simulated.slack.local/archives/{room(harness).id})",
        "| 2026-11-23 08:00 UTC | acknowledged | @\u200bjames |  |",
        "- 2026-11-23 08:00 UTC @\u200bjames (update): Zuora answers 502; failing over",
        "- 2026-11-23 08:00 UTC @\u200bvitaly (note): restarted the sync worker",
    ):
        assert expected in body, expected
    assert room(harness).messages[-1]["text"] == (
        f":memo: The incident issue for #1 is filed: <{issue['web_url']}|GitLab issue>."
    )
    assert f"<{issue['web_url']}|Incident issue>" in harness.sim.message(STATUS, message["ts"])["text"]
    assert answer(harness, BOB, "list --resolved").endswith(f"<{issue['web_url']}|incident issue>")
    harness.advance(timedelta(hours=1))
    assert len(gitlab.issues[INCIDENTS]) == 1 and len(told) == 1

    assert answer(harness, BOB, "issue 1").startswith("Filing the GitLab incident issue for #1")
    assert len(gitlab.issues[INCIDENTS]) == 1, "filing again finds the issue already there"
    declare(harness, "Trials do not start")
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    assert [i["title"] for i in gitlab.issues[INCIDENTS]][1] == "Incident #2 (sev2): Trials do not start"


def test_an_issue_gitlab_refuses_is_said_and_can_be_filed_again(harness: Harness, gitlab: FakeGitLab) -> None:
    declare(harness)
    gitlab.fail_next(403)
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    assert gitlab.issues[INCIDENTS] == []
    assert harness.sim.dms(JAMES)[-1]["text"].startswith(":warning: GitLab refused the incident issue for #1")
    assert answer(harness, BOB, "list --resolved").endswith("no issue yet (failed)")
    assert answer(harness, JAMES, "issue").startswith("Filing"), "the only resolved incident needs no ID"
    assert len(gitlab.issues[INCIDENTS]) == 1
    assert answer(harness, JAMES, "issue 2").startswith("There is no incident #2.")


def failed_deploy(harness: Harness, pipeline_id: int) -> requests.Response:
    builds = [
        {"id": 1, "stage": "test", "name": "rspec", "status": "success", "allow_failure": False},
        {"id": 2, "stage": "deploy", "name": "deploy:production", "status": "failed", "allow_failure": False},
    ]
    body = pipeline_hook(APP, pipeline_id, "failed", builds=builds)
    headers = {"X-Gitlab-Token": HOOK_SECRET, "X-Gitlab-Event": "Pipeline Hook"}
    response = requests.post(harness.url + "/gitlab/webhook", json=body, headers=headers, timeout=30)
    harness.settle()
    return response


def test_a_failed_deploy_offers_declare_incident_and_the_incident_links_the_pipeline(harness: Harness) -> None:
    assert failed_deploy(harness, 4001).status_code == 200
    post = harness.sim.messages(STATUS)[-1]
    assert post["text"].startswith(":x: *Pipeline failed*")
    harness.driver.click(BOB, "Declare incident", channel=STATUS)
    assert harness.sim.ephemerals_for(BOB)[-1]["text"].startswith("Declared incident #1")
    incident = harness.sim.messages(STATUS)[-1]
    assert incident["text"].startswith(
        ":rotating_light: *Incident #1 (sev2): Deploy failed: pipeline #4001 of gitlab-org/customers-gitlab-com"
        " on `main`: deploy:production*"
    )
    assert (
        "<https://gitlab.example.com/gitlab-org/customers-gitlab-com/-/pipelines/4001|Failed pipeline>"
        in (incident["text"])
    )
    harness.driver.click(JAMES, "Declare incident", channel=STATUS, seen=post)
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"] == "Incident #1 is already declared for this pipeline."
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    steps = [line for line in timeline_in(harness).splitlines() if line.startswith("`")]
    assert "deploy failed" in steps[0] and "declared" in steps[1], "the timeline starts with the pipeline"

    failed_other = pipeline_hook(
        APP,
        4002,
        "failed",
        builds=[{"id": 3, "stage": "test", "name": "rspec", "status": "failed", "allow_failure": False}],
    )
    headers = {"X-Gitlab-Token": HOOK_SECRET, "X-Gitlab-Event": "Pipeline Hook"}
    requests.post(harness.url + "/gitlab/webhook", json=failed_other, headers=headers, timeout=30)
    harness.settle()
    assert "Declare incident" not in str(harness.sim.messages(STATUS)[-1].get("blocks")), "not a deploy"


def test_with_declare_on_deploy_failure_a_failed_deploy_opens_one_incident_by_itself(
    database_url: str, gitlab: FakeGitLab
) -> None:
    with running(database_url, gitlab, declare_on_deploy_failure=True) as harness:
        failed_deploy(harness, 5001)
        failed_deploy(harness, 5001)
        incidents = [m for m in harness.sim.messages(STATUS) if m["text"].startswith(":rotating_light: *Incident")]
        assert len(incidents) == 1 and "pipeline #5001" in incidents[0]["text"]
        post = next(m for m in harness.sim.messages(STATUS) if m["text"].startswith(":x: *Pipeline failed*"))
        assert post["text"].endswith(":rotating_light: Incident #1 declared.")
        assert pages(harness, JAMES) == 1


def test_stop_auto_deploy_opens_the_blocker_issue_linked_both_ways(harness: Harness, gitlab: FakeGitLab) -> None:
    message = declare(harness, "Invoices are sent twice sev1")
    harness.driver.click(JAMES, "Stop auto-deploy", channel=STATUS)
    [blocker] = gitlab.issues[APP]
    assert blocker["labels"] == ["production::blocker"]
    assert blocker["title"].startswith("Production blocker: Incident #1: Invoices are sent twice")
    assert f"/archives/{harness.sim.channel_id(STATUS)}/p" in blocker["description"], "the issue links the incident"
    shown = harness.sim.message(STATUS, message["ts"])
    assert f"<{blocker['web_url']}|Auto-deploy stopped (production::blocker)>" in shown["text"]
    assert "Stop auto-deploy" not in str(shown["blocks"])
    assert room(harness).messages[-1]["text"] == (
        f":no_entry: Auto-deploy is stopped: <{blocker['web_url']}|production::blocker issue>."
    )
