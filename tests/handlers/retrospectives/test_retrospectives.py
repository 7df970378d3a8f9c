"""The monthly async retrospective, driven as Slack and GitLab drive the bot: what it saw in
November (an incident, a question and its ✅) filed on 9 December in the fake GitLab, once across a
restart; `Add to retro` with and without the author's name; the cadence announcement's link. The
harness starts on Monday 2026-11-23 08:00 UTC."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from handlers.cadence.config import Cadence, CadenceSection
from handlers.incidents.config import EscalationLevel, IncidentsSection
from handlers.retrospectives.config import RetrospectivesSection
from slackbot.access import ELSEWHERE
from slackbot.config import Config
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.harness import ASKER, TEAM, Harness

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
RETROS = "gl-retrospectives/fulfillment"
QUESTIONS, STATUS, ANNOUNCEMENTS = "s_fulfillment", "s_fulfillment_status", "s_fulfillment_fyi"
CONFIG = Config.of(
    RetrospectivesSection(project=RETROS, day=9),
    IncidentsSection(escalation=[EscalationLevel(users=[JAMES], ack_timeout=timedelta(minutes=30))]),
    CadenceSection(
        entries=[Cadence("0 9 9 * *", "The monthly async retrospective is open: {retrospective}", "announcements")]
    ),
)


@pytest.fixture
def harness(database_url: str, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    gitlab_server.add_project(RETROS)
    settings = {"gitlab_url": gitlab_server.base_url, "gitlab_token": gitlab_server.token}
    with Harness(database_url, CONFIG, **settings) as running:
        yield running


def retros(gitlab: FakeGitLab) -> list[dict[str, Any]]:
    return gitlab.issues[RETROS]


def november(harness: Harness) -> None:
    """An incident acknowledged after 5 minutes and resolved after 20, and a question with a ✅."""
    harness.driver.command(ALICE, "/incident", "declare Renewals fail <!channel> sev1", channel=STATUS)
    harness.clock.advance(timedelta(minutes=5))
    harness.driver.click(JAMES, "Acknowledge", channel=STATUS)
    harness.clock.advance(timedelta(minutes=15))
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    asked = harness.driver.say(ASKER.id, QUESTIONS, "Where is the trial reset?\n/close")
    harness.driver.say(VITALY, QUESTIONS, "In the admin.", thread_ts=asked["ts"])
    harness.clock.advance(timedelta(hours=1))
    harness.driver.react(ASKER.id, QUESTIONS, asked["ts"], "white_check_mark")
    harness.settle()


@pytest.mark.both_databases
def test_the_retrospective_is_filed_on_its_day_with_what_the_bot_saw_once_across_a_restart(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    harness.tick()  # 2026-11-23: October's is due, but the bot did not run in October
    november(harness)
    harness.advance(timedelta(days=15))  # 2026-12-08 09:20: not yet
    assert retros(gitlab_server) == []
    harness.advance(timedelta(hours=15))  # 2026-12-09 00:20
    [issue] = retros(gitlab_server)
    assert issue["title"] == "Fulfillment async retrospective: November 2026" and issue["labels"] == ["retrospective"]
    body = issue["description"]
    for expected in (
        "## Incidents",
        "1 incident(s) (sev1: 1); MTTA 5m, MTTR 20m; 0 follow-up(s), 0 still open.",
        "| #1 | sev1 | Renewals fail &lt;!channel> | 5m | 20m | [issue](",
        "## Production blockers\n\nNone.",
        "## Blockers reported in standups\n\nNone.",
        "## Questions",
        "1 question(s) asked, 1 answered with a ✅; median time to ✅ 1h.",
        "## What went well this month?",
    ):
        assert expected in body, body
    assert issue["quick_actions"] == [] and issue["state"] == "opened", "a question's /close runs nothing"
    harness.restart()
    harness.advance(timedelta(hours=9))  # 09:20: the cadence announcement of 09:00 links it
    assert len(retros(gitlab_server)) == 1
    [announced] = [m["text"] for m in harness.sim.messages(ANNOUNCEMENTS) if "retrospective is open" in m["text"]]
    assert announced.endswith(f"<{issue['web_url']}|the retrospective issue>")
    harness.advance(timedelta(days=40))  # January 2027 files December's, and only that
    assert [i["title"] for i in retros(gitlab_server)][1:] == ["Fulfillment async retrospective: December 2026"]


@pytest.mark.both_databases
def test_add_to_retro_with_and_without_the_authors_name(harness: Harness, gitlab_server: FakeGitLab) -> None:
    harness.tick()  # the bot runs in November
    said = harness.driver.say(ALICE, QUESTIONS, "The deploy freeze <!here> helped us\n/close\n@all thanks")
    harness.driver.shortcut(JAMES, "add_to_retro", QUESTIONS, said["ts"])
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].startswith("No retrospective issue is filed yet")
    harness.advance(timedelta(days=16))
    [issue] = retros(gitlab_server)

    harness.driver.shortcut(JAMES, "add_to_retro", QUESTIONS, said["ts"])
    [form] = harness.driver.open_views(JAMES)
    harness.driver.submit(JAMES, form["id"], {"anonymous": []})
    harness.settle()
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"] == (
        f":memo: Added to the retrospective: <{issue['web_url']}|the issue>."
    )
    harness.driver.shortcut(BOB, "add_to_retro", QUESTIONS, said["ts"])
    [form] = harness.driver.open_views(BOB)
    harness.driver.submit(BOB, form["id"], {"anonymous": ["anonymous"]})
    harness.settle()
    named, anonymous = gitlab_server.notes[(RETROS, issue["iid"])]
    assert named["body"].split("\n")[1:] == [
        "> The deploy freeze @\u200bhere helped us",
        "> \\/close",
        "> @\u200ball thanks",
        "",
        f"— alice in Slack ([message]({harness.bot.ctx.permalink(harness.sim.channel_id(QUESTIONS), said['ts'])}))",
    ]
    assert named["quick_actions"] == [] and named["mentions"] == [] and issue["state"] == "opened"
    assert anonymous["body"].endswith("— Added from Slack (the author's name left out)")
    assert "alice" not in anonymous["body"] and "/archives/" not in anonymous["body"]


def test_a_guest_from_another_workspace_cannot_add_to_the_retro(harness: Harness, gitlab_server: FakeGitLab) -> None:
    guest = "U0GUEST001"
    harness.sim.add_user(guest, "guest", team_id="T0ELSEWHERE")
    harness.tick()
    said = harness.driver.say(ALICE, QUESTIONS, "A good month")
    harness.advance(timedelta(days=16))
    [issue] = retros(gitlab_server)
    harness.driver.shortcut(guest, "add_to_retro", QUESTIONS, said["ts"])
    harness.settle()
    assert harness.sim.ephemerals_for(guest)[-1]["text"] == ELSEWHERE
    assert harness.driver.open_views(guest) == [] and (RETROS, issue["iid"]) not in gitlab_server.notes
    harness.driver.shortcut(JAMES, "add_to_retro", QUESTIONS, said["ts"])
    assert len(harness.driver.open_views(JAMES)) == 1, "a member of the workspace gets the form"
