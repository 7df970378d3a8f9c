"""Review requests, driven as Slack and GitLab drive the bot: `/review`, `I'll review`, the reviewer
set on the MR in the fake GitLab, GitLab's Merge Request Hook, and the nudge. The harness starts on
Monday 2026-11-23 08:00 UTC."""

import copy
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from handlers.reviews.config import ReviewsSection
from slackbot.access import ELSEWHERE
from slackbot.config import Config, Person
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.gitlab_payloads import merge_request_hook
from slackbot.testing.harness import TEAM, UX_CHANNEL, Harness

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
APP = "gitlab-org/customers-gitlab-com"
ENGINEERING = "s_fulfillment_engineering"
CONFIG = Config.of(
    ReviewsSection(maintainers=[VITALY, ALICE], database_reviewers=[JAMES], nudge_after=timedelta(days=1)),
    people=[
        Person(JAMES, gitlab="jameslopez"),
        Person(VITALY, gitlab="vitaly", timezone="Europe/Berlin"),
        Person(ALICE, timezone="Australia/Sydney"),
        Person(BOB, gitlab="bob"),
    ],
)


@pytest.fixture
def harness(database_url: str, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    for username in ("jameslopez", "vitaly", "bob"):
        gitlab_server.add_user(username)
    gitlab_server.add_merge_request(APP, "Fix the invoice rounding", author="bob")
    settings = {
        "gitlab_url": gitlab_server.base_url,
        "gitlab_token": gitlab_server.token,
        "gitlab_webhook_secret": "hook-secret",
    }
    with Harness(database_url, CONFIG, **settings) as running:
        yield running


def mr_url(gitlab: FakeGitLab, iid: int = 1) -> str:
    return f"{gitlab.base_url.rstrip('/')}/{APP}/-/merge_requests/{iid}"


def post(harness: Harness, channel: str = ENGINEERING) -> dict[str, Any]:
    return [m for m in harness.sim.messages(channel) if ":mag:" in m["text"]][-1]


def reviewers(gitlab: FakeGitLab) -> list[str]:
    return [r["username"] for r in gitlab.mrs[APP][0]["reviewers"]]


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def last_ephemeral(harness: Harness, user: str) -> str:
    return str(harness.sim.ephemerals_for(user)[-1]["text"])


@pytest.mark.both_databases
def test_claimed_until_a_maintainer_is_on_it_then_approved_and_merged(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    harness.driver.command(BOB, "/review", f"{mr_url(gitlab_server)} please look at the rounding <!channel>")
    harness.settle()
    assert last_ephemeral(harness, BOB).startswith("Asked in <#")
    first = post(harness)
    assert (
        f"<@{BOB}> asks for a review (two reviewers, one a maintainer) of <{mr_url(gitlab_server)}|{APP}!1>"
        in (first["text"])
    )
    assert "> please look at the rounding @channel" in first["text"], "people's text pings nobody"
    assert "Still needs a maintainer and a reviewer." in first["text"] and buttons(first) == ["I'll review"]

    harness.driver.click(BOB, "I'll review", channel=ENGINEERING)
    assert last_ephemeral(harness, BOB) == "That is your own request: someone else has to review it."
    harness.driver.click(JAMES, "I'll review", channel=ENGINEERING)
    harness.settle()
    second = post(harness)
    assert f"Reviewers: <@{JAMES}> (database)" in second["text"]
    assert "Still needs a maintainer." in second["text"] and buttons(second) == ["I'll review"], "offered again"
    assert reviewers(gitlab_server) == ["jameslopez"]

    harness.driver.click(BOB, "I'll review", channel=ENGINEERING)
    harness.driver.click(JAMES, "I'll review", channel=ENGINEERING)
    assert last_ephemeral(harness, JAMES) == "You are already reviewing it."
    harness.driver.click(VITALY, "I'll review", channel=ENGINEERING)
    harness.settle()
    covered = post(harness)
    assert f"<@{VITALY}> (maintainer)" in covered["text"] and buttons(covered) == []
    assert ":white_check_mark: It has the reviewers the handbook asks for." in covered["text"]
    assert reviewers(gitlab_server) == ["jameslopez", "vitaly"], "added, the earlier reviewer kept"

    assert harness.gitlab_hook(merge_request_hook(APP, 1, "approval", user="vitaly")) == 200
    assert "Approved in GitLab by vitaly" in post(harness)["text"]
    updates = len(harness.sim.calls_to("chat.update"))
    harness.gitlab_hook(merge_request_hook(APP, 1, "approval", user="vitaly"))
    assert len(harness.sim.calls_to("chat.update")) == updates, "the same hook again changes nothing"
    harness.gitlab_hook(merge_request_hook(APP, 1, "merge", state="merged"))
    merged = post(harness)
    assert ":tada: Merged." in merged["text"] and "Fix the invoice rounding" in merged["text"]


def test_a_maintainer_place_is_not_taken_by_someone_else(harness: Harness, gitlab_server: FakeGitLab) -> None:
    harness.driver.command(BOB, "/review", f"{mr_url(gitlab_server)} maintainer")
    harness.settle()
    assert "asks for a maintainer review" in post(harness)["text"]
    harness.driver.click(JAMES, "I'll review", channel=ENGINEERING)
    assert last_ephemeral(harness, JAMES).startswith("It still needs a maintainer, which you are not in `[reviews]`")
    harness.driver.click(ALICE, "I'll review", channel=ENGINEERING)
    harness.settle()
    assert "(not set in GitLab: no `gitlab` username in `[[people]]`, or no `GITLAB_TOKEN`)" in post(harness)["text"]
    assert reviewers(gitlab_server) == []


def test_a_database_change_needs_a_database_reviewer_and_a_maintainer(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    harness.driver.command(BOB, "/review", f"{mr_url(gitlab_server)} database adds an index")
    harness.settle()
    assert "Still needs a database reviewer and a maintainer." in post(harness)["text"]
    harness.driver.click(JAMES, "I'll review", channel=ENGINEERING)
    harness.settle()
    assert "Still needs a maintainer." in post(harness)["text"]


def test_a_ux_review_goes_to_the_ux_channel_and_a_closed_mr_closes_it(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    harness.driver.command(BOB, "/review", f"{mr_url(gitlab_server)} ux the new checkout page")
    harness.settle()
    asked = copy.deepcopy(post(harness, UX_CHANNEL))
    assert "asks for a UX review" in asked["text"]
    harness.gitlab_hook(merge_request_hook(APP, 1, "close", state="closed"))
    closed = post(harness, UX_CHANNEL)
    assert "Closed without merging." in closed["text"] and buttons(closed) == []
    harness.driver.click(JAMES, "I'll review", channel=UX_CHANNEL, seen=asked)  # a client still showing the button
    assert last_ephemeral(harness, JAMES) == "This merge request is closed: it needs no more reviewers."


def test_links_that_are_not_a_merge_request_here_are_refused(harness: Harness, gitlab_server: FakeGitLab) -> None:
    for text in ("https://evil.example.com/a/b/-/merge_requests/1", f"{gitlab_server.base_url}{APP}/-/issues/1", ""):
        harness.driver.command(BOB, "/review", text)
        assert "Give" in last_ephemeral(harness, BOB), text
    assert [m for m in harness.sim.messages(ENGINEERING) if ":mag:" in m["text"]] == []


def test_the_nudge_comes_once_and_only_to_maintainers_at_work(harness: Harness, gitlab_server: FakeGitLab) -> None:
    harness.driver.command(VITALY, "/standup", "away 2026-11-24 2026-11-25")
    harness.driver.command(JAMES, "/review", f"{mr_url(gitlab_server)} maintainer")
    harness.settle()
    harness.advance(timedelta(hours=23))
    assert harness.sim.replies(harness.sim.channel_id(ENGINEERING), post(harness)["ts"]) == []
    harness.advance(timedelta(hours=1))  # Tuesday 08:00 UTC: Vitaly is away, Alice is at 19:00 in Sydney
    [nudge] = harness.sim.replies(harness.sim.channel_id(ENGINEERING), post(harness)["ts"])
    assert nudge["text"] == (
        ":hourglass: This review request has waited 1d and still needs a maintainer; "
        "nobody who can give it is at work now."
    )
    harness.advance(timedelta(days=1))
    assert len(harness.sim.replies(harness.sim.channel_id(ENGINEERING), post(harness)["ts"])) == 1, "once"


def test_the_nudge_mentions_a_maintainer_at_work(harness: Harness, gitlab_server: FakeGitLab) -> None:
    harness.driver.command(JAMES, "/review", f"{mr_url(gitlab_server)} maintainer")
    harness.settle()
    harness.advance(timedelta(days=1))  # Tuesday 09:00 in Berlin
    [nudge] = harness.sim.replies(harness.sim.channel_id(ENGINEERING), post(harness)["ts"])
    assert nudge["text"].endswith(f"still needs a maintainer. <@{VITALY}>, could one of you take it?")


def test_list_and_the_app_home_show_my_requests_and_reviews(harness: Harness, gitlab_server: FakeGitLab) -> None:
    harness.driver.command(BOB, "/review", f"{mr_url(gitlab_server)}")
    harness.settle()
    harness.driver.click(JAMES, "I'll review", channel=ENGINEERING)
    harness.settle()
    harness.driver.command(ALICE, "/review", "list")
    assert "needs a maintainer (asked by" in last_ephemeral(harness, ALICE)
    harness.driver.open_home(JAMES)
    harness.settle()
    home = str(harness.sim.home_views[JAMES])
    assert "Reviews you took" in home and f"{APP}!1" in home


def test_a_guest_from_another_workspace_can_neither_ask_nor_claim(harness: Harness, gitlab_server: FakeGitLab) -> None:
    guest = "U0GUEST001"
    harness.sim.add_user(guest, "guest", team_id="T0ELSEWHERE")
    harness.driver.command(guest, "/review", mr_url(gitlab_server))
    assert last_ephemeral(harness, guest) == ELSEWHERE
    harness.driver.command(BOB, "/review", mr_url(gitlab_server))
    harness.settle()
    harness.driver.click(guest, "I'll review", channel=ENGINEERING)
    assert last_ephemeral(harness, guest) == ELSEWHERE
    harness.driver.click(VITALY, "I'll review", channel=ENGINEERING)
    harness.settle()
    assert "Reviewers: <@U0VITALY1> (maintainer)" in post(harness)["text"] and reviewers(gitlab_server) == ["vitaly"]


def test_a_covered_request_nudges_its_reviewers_unless_gitlab_says_it_is_approved(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    harness.driver.command(BOB, "/review", f"{mr_url(gitlab_server)} maintainer")
    harness.settle()
    harness.driver.click(VITALY, "I'll review", channel=ENGINEERING)
    harness.settle()
    harness.advance(timedelta(days=1))  # Tuesday 09:00 in Berlin
    [nudge] = harness.sim.replies(harness.sim.channel_id(ENGINEERING), post(harness)["ts"])
    assert nudge["text"].endswith(f"for its reviews. <@{VITALY}>: it is waiting for you.")

    harness.driver.command(BOB, "/review", f"{mr_url(gitlab_server)} maintainer")
    harness.settle()
    harness.driver.click(VITALY, "I'll review", channel=ENGINEERING)
    harness.gitlab_hook(merge_request_hook(APP, 1, "approved", user="vitaly"))
    harness.advance(timedelta(days=1))
    assert harness.sim.replies(harness.sim.channel_id(ENGINEERING), post(harness)["ts"]) == []
