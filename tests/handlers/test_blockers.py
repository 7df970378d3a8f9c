"""/blocker against the fake GitLab."""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.harness import TEAM, Harness

APP = "gitlab-org/customers-gitlab-com"
STATUS = "s_fulfillment_status"
JAMES = TEAM[0].id


@pytest.fixture
def harness(database_url: str, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    with Harness(database_url, gitlab_url=gitlab_server.base_url, gitlab_token=gitlab_server.token) as running:
        yield running


def answer(harness: Harness) -> str:
    return str(harness.sim.ephemerals_for(JAMES)[-1]["text"])


def test_open_and_lift_a_production_blocker(harness: Harness, gitlab_server: FakeGitLab) -> None:
    harness.driver.command(JAMES, "/blocker", "invoice totals are wrong", channel=STATUS)
    [issue] = gitlab_server.issues[APP]
    assert issue["title"] == "Production blocker: invoice totals are wrong"
    assert issue["labels"] == ["production::blocker"]
    assert issue["confidential"] is False
    assert issue["description"].startswith("invoice totals are wrong\n\nOpened from Slack by james with `/blocker`.")
    [announcement] = harness.sim.messages(STATUS)
    assert announcement["text"].startswith(
        f":no_entry: <@{JAMES}> opened a production blocker: <{issue['web_url']}|#1 "
    )
    assert answer(harness) == f"Opened <{issue['web_url']}|#1>. Lift it with `/blocker lift 1`."

    harness.driver.command(JAMES, "/blocker", "lift", channel=STATUS)
    assert issue["state"] == "closed"
    assert harness.sim.messages(STATUS)[-1]["text"].startswith(
        f":white_check_mark: <@{JAMES}> lifted the production blocker"
    )
    harness.driver.command(JAMES, "/blocker", "lift")
    assert answer(harness).startswith("No production blocker opened from Slack is open")


def test_lift_a_given_issue(harness: Harness, gitlab_server: FakeGitLab) -> None:
    other = gitlab_server.add_issue(APP, "Opened by hand", labels=["production::blocker"])
    harness.driver.command(JAMES, "/blocker", f"lift #{other['iid']}")
    assert other["state"] == "closed"
    harness.driver.command(JAMES, "/blocker", "lift banana")
    assert answer(harness).startswith("`banana` is not an issue")


def test_gitlab_down_is_retried_until_the_blocker_is_open(harness: Harness, gitlab_server: FakeGitLab) -> None:
    gitlab_server.fail_next(500)
    harness.driver.command(JAMES, "/blocker", "payments broken")
    assert answer(harness).startswith("GitLab did not take it just now (500: simulated failure). I will keep trying")
    assert harness.sim.messages(STATUS) == [] and gitlab_server.issues[APP] == []
    harness.advance(timedelta(seconds=15))
    [issue] = gitlab_server.issues[APP]
    assert answer(harness) == f"Opened <{issue['web_url']}|#1>. Lift it with `/blocker lift 1`."
    assert len(harness.sim.messages(STATUS)) == 1
    harness.advance(timedelta(minutes=5))
    assert len(gitlab_server.issues[APP]) == 1 and len(harness.sim.messages(STATUS)) == 1, "opened once"


def test_gitlab_refusals_are_clear(harness: Harness) -> None:
    harness.driver.command(JAMES, "/blocker", "lift 99")
    assert answer(harness).startswith("GitLab answered an error (404")
    harness.driver.command(JAMES, "/blocker", "")
    assert answer(harness).startswith("Say why production must not be deployed")


def test_without_gitlab_it_says_so(database_url: str) -> None:
    with Harness(database_url) as harness:
        harness.driver.command(JAMES, "/blocker", "payments broken")
        assert answer(harness).startswith("GitLab is not configured (`GITLAB_TOKEN` is unset)")
