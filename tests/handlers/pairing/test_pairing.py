"""/pair against the Slack simulator with a fake clock."""

import copy
import threading
from datetime import timedelta
from typing import Any

import pytest

from slackbot.testing.harness import TEAM, Harness

pytestmark = pytest.mark.both_databases

JAMES, VITALY, ALICE, BOB = (p.id for p in TEAM[:4])
ENGINEERING = "s_fulfillment_engineering"


def request_post(harness: Harness) -> dict[str, Any]:
    return harness.sim.messages(ENGINEERING)[-1]


def shown(harness: Harness, user: str) -> str:
    return str(harness.sim.ephemerals_for(user)[-1]["text"])


def test_the_first_claim_wins_and_both_get_a_group_dm(harness: Harness) -> None:
    harness.driver.command(ALICE, "/pair", "Untangling the Zuora sync", channel=ENGINEERING)
    post = request_post(harness)
    assert post["text"] == f":handshake: <@{ALICE}> is looking for a pair: *Untangling the Zuora sync*"
    assert post["blocks"][1]["elements"][0]["text"]["text"] == "I'll pair"
    stale = copy.deepcopy(post)

    harness.driver.click(ALICE, "I'll pair", channel=ENGINEERING)
    assert shown(harness, ALICE) == "That is your own request: someone else has to claim it."
    harness.driver.click(VITALY, "I'll pair", channel=ENGINEERING)
    post = request_post(harness)
    assert post["text"].endswith(f"Claimed by <@{VITALY}>. :tada:")
    assert len(post["blocks"]) == 1, "no button once claimed"
    group = next(c for c in harness.sim.channels.values() if c.is_mpim)
    assert group.members == {ALICE, VITALY, harness.sim.bot_user_id}
    assert group.messages[0]["text"].startswith(f":handshake: <@{ALICE}>, <@{VITALY}> will pair with you")

    harness.driver.click(JAMES, "I'll pair", channel=ENGINEERING, seen=stale)
    assert shown(harness, JAMES) == f"Already claimed by <@{VITALY}>."


def test_two_simultaneous_clicks_one_winner(harness: Harness) -> None:
    harness.driver.command(ALICE, "/pair", "Rubber-duck the invoice rounding", channel=ENGINEERING)
    stale = copy.deepcopy(request_post(harness))
    clickers = [
        threading.Thread(target=harness.driver.click, args=(u, "I'll pair", ENGINEERING, None, stale))
        for u in (JAMES, VITALY, BOB)
    ]
    for clicker in clickers:
        clicker.start()
    for clicker in clickers:
        clicker.join()
    harness.settle()
    winners = [u for u in (JAMES, VITALY, BOB) if request_post(harness)["text"].endswith(f"<@{u}>. :tada:")]
    losers = [u for u in (JAMES, VITALY, BOB) if harness.sim.ephemerals_for(u)]
    assert len(winners) == 1 and sorted(losers) == sorted({JAMES, VITALY, BOB} - set(winners))
    assert sum(1 for c in harness.sim.channels.values() if c.is_mpim) == 1


def test_unclaimed_requests_are_bumped_once_then_expire(harness: Harness) -> None:
    harness.driver.command(ALICE, "/pair", "Spike on license sync retries", channel=ENGINEERING)
    post = request_post(harness)
    harness.advance(timedelta(hours=1, minutes=59))
    assert harness.sim.replies(ENGINEERING, post["ts"]) == []
    harness.advance(timedelta(minutes=1))
    harness.advance(timedelta(hours=1))
    assert [m["text"] for m in harness.sim.replies(ENGINEERING, post["ts"])] == [
        f"Still looking for a pair: <@{ALICE}> would like help with *Spike on license sync retries*. "
        "Click `I'll pair` above if you have time."
    ]
    harness.advance(timedelta(hours=5))
    assert request_post(harness)["text"].endswith("Expired: nobody was free this time.")
    assert harness.sim.dms(ALICE)[-1]["text"].startswith(
        "Nobody claimed your pair request “Spike on license sync retries” within 8h"
    )
    harness.advance(timedelta(hours=5))
    assert len(harness.sim.replies(ENGINEERING, post["ts"])) == 1 and len(harness.sim.dms(ALICE)) == 1


def test_cancel_list_and_stats(harness: Harness) -> None:
    harness.driver.command(ALICE, "/pair", "First topic", channel=ENGINEERING)
    harness.driver.command(BOB, "/pair", "Second topic", channel=ENGINEERING)
    harness.driver.command(JAMES, "/pair", "list")
    listing = shown(harness, JAMES).splitlines()
    assert (
        listing[0] == "*Open pair requests*"
        and len(listing) == 3
        and "|First topic> by <@U0ALICE01>, 0s ago" in listing[1]
    )
    harness.driver.command(ALICE, "/pair", "cancel")
    assert shown(harness, ALICE) == "Cancelled 1 open request(s)."
    assert harness.sim.messages(ENGINEERING)[0]["text"].endswith(f"Cancelled by <@{ALICE}>.")
    harness.driver.command(ALICE, "/pair", "cancel")
    assert shown(harness, ALICE) == "You have no open pair request."
    harness.clock.advance(timedelta(minutes=20))
    harness.driver.click(VITALY, "I'll pair", channel=ENGINEERING)
    harness.driver.command(JAMES, "/pair", "stats")
    assert shown(harness, JAMES) == (
        f"*Pairing*: 2 requests, 1 claimed, median time to claim 20m.\nPaired most: <@{VITALY}> (1)"
    )


def test_the_modal_asks_for_a_topic(harness: Harness) -> None:
    harness.driver.command(ALICE, "/pair", channel=ENGINEERING)
    view = harness.driver.open_views(ALICE)[-1]
    refused = harness.driver.submit(ALICE, view["id"], {"topic": " "})
    assert refused.json() == {"response_action": "errors", "errors": {"topic": "Say what you would like to pair on."}}
    harness.driver.submit(
        ALICE, view["id"], {"topic": "Flaky e2e spec", "area": "CustomersDot", "duration": "1h", "when": "after lunch"}
    )
    assert request_post(harness)["text"] == (
        f":handshake: <@{ALICE}> is looking for a pair: *Flaky e2e spec* (CustomersDot, 1h, after lunch)"
    )
