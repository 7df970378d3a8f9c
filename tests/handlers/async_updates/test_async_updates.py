"""Weekly async issue-update reminders against the fake GitLab, with a fake clock."""

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest

from handlers.async_updates.config import AsyncUpdatesSection
from slackbot.config import Config, GitLabSection, Person
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.harness import TEAM, Harness
from tests.handlers.conftest import APP_PROJECT as APP

JAMES, VITALY, ALICE = TEAM[0].id, TEAM[1].id, TEAM[2].id
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def config(milestone_only: bool = False) -> Config:
    return Config.of(
        AsyncUpdatesSection(day="wed", time=time(10, 0), current_milestone_only=milestone_only),
        people=[
            Person(slack=ALICE, gitlab="alice"),
            Person(slack=JAMES, gitlab="jameslopez"),
            Person(slack=VITALY, gitlab="vitallium"),
        ],
        gitlab=GitLabSection(poll_interval=timedelta(0)),
    )


def seed(gitlab: FakeGitLab) -> None:
    now = MONDAY + timedelta(days=2)
    quiet = gitlab.add_issue(
        APP, "Quiet issue", assignee_usernames=["jameslopez"], milestone={"title": "18.7", "started": True}
    )
    gitlab.add_note(APP, quiet["iid"], "vitallium", "any news?", now - timedelta(days=1))
    updated = gitlab.add_issue(APP, "Updated issue", assignee_usernames=["jameslopez"])
    gitlab.add_note(APP, updated["iid"], "jameslopez", "### Async issue update", now - timedelta(days=2))
    stale = gitlab.add_issue(APP, "Stale update", assignee_usernames=["jameslopez"])
    gitlab.add_note(APP, stale["iid"], "jameslopez", "old update", now - timedelta(days=10))
    gitlab.add_note(APP, stale["iid"], "jameslopez", "changed the milestone", now - timedelta(hours=1), system=True)
    closed = gitlab.add_issue(APP, "Closed issue", assignee_usernames=["jameslopez"])
    closed["state"] = "closed"
    done = gitlab.add_issue(APP, "Vitaly's updated issue", assignee_usernames=["vitallium"])
    gitlab.add_note(APP, done["iid"], "vitallium", "update", now - timedelta(days=3))


@pytest.fixture
def harness(database_url: str, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    seed(gitlab_server)
    with Harness(
        database_url, config(), MONDAY, gitlab_url=gitlab_server.base_url, gitlab_token=gitlab_server.token
    ) as running:
        yield running


def at(harness: Harness, when: datetime) -> None:
    harness.clock.set(when)
    harness.tick()


def reminders(harness: Harness, user: str) -> list[str]:
    return [m["text"] for m in harness.sim.dms(user) if "Weekly async issue update" in m["text"]]


def test_one_reminder_a_week_listing_only_issues_without_a_recent_update(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    at(harness, datetime(2026, 11, 25, 9, 59, tzinfo=UTC))
    assert reminders(harness, JAMES) == []
    at(harness, datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    [reminder] = reminders(harness, JAMES)
    listed = [line for line in reminder.splitlines() if line.startswith("• ")]
    assert listed == [
        f"• <{gitlab_server.web_root}{APP}/-/issues/1|{APP}#1 Quiet issue>",
        f"• <{gitlab_server.web_root}{APP}/-/issues/3|{APP}#3 Stale update>",
    ]
    assert (
        "```### Async issue update" in reminder and "/health_status [on_track, needs_attention, at_risk]```" in reminder
    )
    assert reminders(harness, VITALY) == [], "nothing to update, no DM"
    harness.restart()
    at(harness, datetime(2026, 11, 25, 10, 30, tzinfo=UTC))
    at(harness, datetime(2026, 11, 28, 10, 30, tzinfo=UTC))
    assert len(reminders(harness, JAMES)) == 1, "once per week, across a restart"
    at(harness, datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    assert len(reminders(harness, JAMES)) == 2, "next week's"


def test_a_gitlab_error_for_one_person_does_not_stop_the_others(harness: Harness, gitlab_server: FakeGitLab) -> None:
    gitlab_server.add_issue(APP, "Alice's issue", assignee_usernames=["alice"])
    gitlab_server.fail_next(502)  # Alice is first
    at(harness, datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    assert reminders(harness, ALICE) == []
    assert len(reminders(harness, JAMES)) == 1
    at(harness, datetime(2026, 11, 25, 10, 0, 15, tzinfo=UTC))
    assert len(reminders(harness, ALICE)) == 1, "retried on the next tick"
    assert len(reminders(harness, JAMES)) == 1


def test_current_milestone_only(database_url: str, gitlab_server: FakeGitLab) -> None:
    seed(gitlab_server)
    settings = {"gitlab_url": gitlab_server.base_url, "gitlab_token": gitlab_server.token}
    with Harness(database_url, config(milestone_only=True), MONDAY, **settings) as harness:
        at(harness, datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
        [reminder] = reminders(harness, JAMES)
        assert "Quiet issue" in reminder and "Stale update" not in reminder
