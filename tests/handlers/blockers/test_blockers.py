"""/blocker against the fake GitLab."""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from handlers.blockers.config import BlockersSection
from handlers.blockers.listeners import MAY_BLOCK
from handlers.incidents.config import EscalationLevel, IncidentsSection
from slackbot.config import Config, SlackSection
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.harness import ASKER, TEAM, Harness

pytestmark = pytest.mark.both_databases  # who may do what: scenarios on both databases

APP = "gitlab-org/customers-gitlab-com"
STATUS = "s_fulfillment_status"
JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
CONFIG = Config.of(
    IncidentsSection(escalation=[EscalationLevel(users=[JAMES], ack_timeout=timedelta(minutes=5))]),
    BlockersSection(usergroup="release-managers"),
    slack=SlackSection(admins=[ADMIN]),
)


@pytest.fixture
def harness(database_url: str, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    settings = {"gitlab_url": gitlab_server.base_url, "gitlab_token": gitlab_server.token}
    with Harness(database_url, CONFIG, groups={"release-managers": [VITALY]}, **settings) as running:
        yield running


def answer(harness: Harness, user: str = JAMES) -> str:
    return str(harness.sim.ephemerals_for(user)[-1]["text"])


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
    harness.driver.command(JAMES, "/blocker", "first")
    harness.driver.command(JAMES, "/blocker", "second")
    first, second = gitlab_server.issues[APP]
    harness.driver.command(JAMES, "/blocker", f"lift #{first['iid']}")
    assert (first["state"], second["state"]) == ("closed", "opened")
    harness.driver.command(JAMES, "/blocker", "lift banana")
    assert answer(harness).startswith("`banana` is not an issue")


def test_lift_closes_only_the_bots_own_open_blockers(harness: Harness, gitlab_server: FakeGitLab) -> None:
    """`/blocker lift N` once closed any issue N of the app project with the bot's token."""
    security = gitlab_server.add_issue(APP, "Security: token leak", labels=["security"], confidential=True)
    by_hand = gitlab_server.add_issue(APP, "Opened by hand", labels=["production::blocker"])
    for iid in (security["iid"], by_hand["iid"], 99):
        harness.driver.command(JAMES, "/blocker", f"lift {iid}")
        assert answer(harness).startswith(f"#{iid} is not an open production blocker I opened, so I left it alone.")
    assert (security["state"], by_hand["state"]) == ("opened", "opened")
    assert harness.sim.messages(STATUS) == [], "nothing announced that auto-deploy may resume"

    harness.driver.command(JAMES, "/blocker", "checkout broken")
    ours = gitlab_server.issues[APP][-1]
    ours["labels"] = ["bug"]  # someone took the label off in GitLab since
    harness.driver.command(JAMES, "/blocker", f"lift {ours['iid']}")
    assert (
        answer(harness)
        == f"#{ours['iid']} no longer carries `production::blocker` or is already closed, so I left it alone."
    )
    assert ours["state"] == "opened"
    assert len(harness.sim.messages(STATUS)) == 1, "only the opening was announced"


def test_only_the_policys_people_the_blockers_group_and_admins_open_and_lift(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    for intruder in (ASKER.id, BOB):
        harness.driver.command(intruder, "/blocker", "deploys must stop")
        assert answer(harness, intruder) == MAY_BLOCK.refusal()
    harness.driver.command(JAMES, "/blocker", "opened by the policy's first level")
    harness.driver.command(BOB, "/blocker", "lift")
    assert answer(harness, BOB) == MAY_BLOCK.refusal()
    assert [i["state"] for i in gitlab_server.issues[APP]] == ["opened"]
    harness.driver.command(VITALY, "/blocker", "lift")  # a member of [blockers] usergroup
    harness.driver.command(ADMIN, "/blocker", "opened by an admin")
    assert [i["state"] for i in gitlab_server.issues[APP]] == ["closed", "opened"]


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


def test_gitlab_refusals_are_clear(harness: Harness, gitlab_server: FakeGitLab) -> None:
    harness.driver.command(JAMES, "/blocker", "broken")
    gitlab_server.issues[APP].clear()  # deleted in GitLab
    harness.driver.command(JAMES, "/blocker", "lift 1")
    assert answer(harness).startswith("GitLab answered an error (404")
    harness.driver.command(JAMES, "/blocker", "")
    assert answer(harness).startswith("Say why production must not be deployed")


def test_without_gitlab_it_says_so(database_url: str) -> None:
    with Harness(database_url, CONFIG) as harness:
        harness.driver.command(JAMES, "/blocker", "payments broken")
        assert answer(harness).startswith("GitLab is not configured (`GITLAB_TOKEN` is unset)")


def test_a_reason_cannot_run_quick_actions_or_mention_anyone_in_gitlab(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    reason = "totals wrong\n/unlabel ~production::blocker\n/confidential\n/close\n/assign @vitaly\n@all look <!--"
    harness.driver.command(JAMES, "/blocker", reason)
    [issue] = gitlab_server.issues[APP]
    assert issue["quick_actions"] == [] and issue["mentions"] == []
    assert (issue["labels"], issue["confidential"], issue["state"]) == (["production::blocker"], False, "opened")
    assert "<!--" not in issue["description"] and "auto-deploy to production is stopped" in issue["description"]
    announced = harness.sim.messages(STATUS)[-1]["text"]
    assert "<!channel>" not in announced and announced.startswith(f":no_entry: <@{JAMES}> opened a production blocker")


def test_a_replayed_command_takes_effect_once(harness: Harness, gitlab_server: FakeGitLab) -> None:
    harness.driver.command(JAMES, "/blocker", "invoice totals are wrong", channel=STATUS)
    assert harness.driver.replay().status_code == 200
    assert len(gitlab_server.issues[APP]) == 1 and len(harness.sim.messages(STATUS)) == 1
