"""Incident follow-ups: `/incident followup` and the `Follow-up` button file a GitLab issue linked to
the incident's, assigned to its owner; the owner is reminded on Mondays; GitLab's Issue Hook closes
it; the weekly digest counts them. The harness starts on Monday 2026-11-23 08:00 UTC."""

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from slackbot.config import Person
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.gitlab_payloads import issue_hook
from slackbot.testing.harness import TEAM, Harness
from tests.handlers.incidents.test_incident_response import (
    HOOK_SECRET,
    INCIDENTS,
    STATUS,
    answer,
    config,
    declare,
    room,
)

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
PEOPLE = [Person(VITALY, gitlab="vitaly"), *(Person(p.id) for p in TEAM if p.id != VITALY)]


@pytest.fixture
def harness(database_url: str, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    gitlab_server.add_project(INCIDENTS)
    gitlab_server.add_user("vitaly")
    with Harness(
        database_url,
        dataclasses.replace(config(), people=PEOPLE),
        gitlab_url=gitlab_server.base_url,
        gitlab_token=gitlab_server.token,
        gitlab_webhook_secret=HOOK_SECRET,
    ) as bot:
        yield bot


def followups(gitlab: FakeGitLab) -> list[dict[str, Any]]:
    return [i for i in gitlab.issues[INCIDENTS] if i["title"].startswith("Follow-up")]


def resolved(harness: Harness) -> dict[str, Any]:
    declare(harness, "Renewals fail for EU customers sev1")
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    harness.settle()
    return harness.sim.messages(STATUS)[0]


@pytest.mark.both_databases
def test_a_followup_is_filed_linked_assigned_reminded_and_closed_from_gitlab(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    resolved(harness)
    [incident_issue] = gitlab_server.issues[INCIDENTS]
    said = answer(harness, JAMES, f"followup 1 Alert on EU renewals <!channel>\n/close <@{VITALY}|vitaly>")
    assert said == f"Filing the follow-up of incident #1 in {INCIDENTS}, owned by <@{VITALY}>."
    harness.settle()
    [filed] = followups(gitlab_server)
    assert filed["title"] == "Follow-up of incident #1: Alert on EU renewals <!channel> /close"
    assert filed["state"] == "opened" and filed["quick_actions"] == [], "typed text runs no quick action"
    assert filed["mentions"] == [] and filed["labels"] == ["incident follow-up"]
    assert filed["assignees"][0]["username"] == "vitaly"
    assert f"[incident issue]({incident_issue['web_url']})" in filed["description"]
    assert gitlab_server.links == [(INCIDENTS, filed["iid"], INCIDENTS, incident_issue["iid"])]
    said_in_room = room(harness).messages[-1]["text"]
    assert said_in_room.startswith(f":memo: Follow-up filed: <{filed['web_url']}|#{filed['iid']}> Alert on EU")
    assert f"(owner <@{VITALY}>)" in said_in_room
    assert any("gave you a follow-up of incident #1" in m["text"] for m in harness.sim.dms(VITALY))

    harness.advance(timedelta(days=7, hours=1))  # Monday 2026-11-30 09:00 UTC
    harness.advance(timedelta(hours=1))
    reminders = [m["text"] for m in harness.sim.dms(VITALY) if "Your open incident follow-up" in m["text"]]
    assert len(reminders) == 1 and f"<{filed['web_url']}|#{filed['iid']}>" in reminders[0], "once a week"

    assert harness.gitlab_hook(issue_hook(INCIDENTS, filed["iid"], "close", state="closed")) == 200
    harness.gitlab_hook(issue_hook(INCIDENTS, filed["iid"], "close", state="closed"))
    done = [m["text"] for m in harness.sim.messages(STATUS, include_replies=True) if "Follow-up done" in m["text"]]
    assert len(done) == 1, "in the status thread (its channel is archived by now), once for the same hook twice"
    harness.advance(timedelta(days=7))
    assert len([m for m in harness.sim.dms(VITALY) if "Your open incident follow-up" in m["text"]]) == 1


def test_only_responders_file_followups(harness: Harness, gitlab_server: FakeGitLab) -> None:
    resolved(harness)
    refused = answer(harness, ALICE, "followup 1 Add an alert")
    assert refused.startswith("Only its responders") and "file an incident's follow-up" in refused
    harness.settle()
    assert followups(gitlab_server) == []
    assert answer(harness, JAMES, "followup 1 Add an alert").startswith("Filing the follow-up")
    harness.settle()
    [filed] = followups(gitlab_server)
    assert filed["assignees"] == [], "James has no GitLab username: the issue names him instead"
    assert "**Owner:** james" in filed["description"]


def test_the_followup_button_in_the_incident_channel_opens_a_form(harness: Harness, gitlab_server: FakeGitLab) -> None:
    declare(harness, "Checkout returns 500 sev2")
    harness.settle()
    harness.driver.click(ALICE, "Follow-up", channel=room(harness).name)
    assert harness.sim.ephemerals_for(ALICE)[-1]["text"].startswith("Only its responders")
    harness.driver.click(JAMES, "Follow-up", channel=room(harness).name)
    [view] = harness.driver.open_views(JAMES)
    harness.driver.submit(JAMES, view["id"], {"text": "Retry <b>Zuora</b> calls", "owner": VITALY})
    harness.settle()
    [filed] = followups(gitlab_server)
    assert "**What:** Retry &lt;b>Zuora&lt;/b> calls" in filed["description"], "no HTML from people's text"
    assert gitlab_server.links == [], "the incident has no issue yet: it lists the follow-up once filed"
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    harness.settle()
    incident_issue = next(i for i in gitlab_server.issues[INCIDENTS] if i["title"].startswith("Incident"))
    assert "## Follow-ups" in incident_issue["description"] and filed["web_url"] in incident_issue["description"]


def test_the_weekly_digest_counts_open_followups(harness: Harness) -> None:
    resolved(harness)
    answer(harness, JAMES, "followup 1 Add an alert")
    harness.driver.say(ALICE, "s_fulfillment", "How do I reset a trial?")
    harness.advance(timedelta(days=7, hours=1))
    digest = next(
        m["text"] for m in harness.sim.messages("s_fulfillment_fyi") if "Weekly questions digest" in m["text"]
    )
    assert digest.endswith(":memo: Incident follow-ups: 1 open, 0 done in the last 7 days.")
