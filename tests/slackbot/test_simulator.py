"""The Slack simulator answers the real WebClient as Slack does, method by method."""

import time
from collections.abc import Callable, Iterator

import pytest
import requests
from slack_sdk.errors import SlackApiError

from slackbot.ratelimit import Rate
from slackbot.slack_client import make_web_client
from slackbot.testing.slack_sim import RateLimits, SlackSimulator


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    simulator = SlackSimulator().start()
    simulator.add_user("U0JAMES01", "james", tz="Europe/Madrid")
    simulator.add_user("U0ALICE01", "alice", tz="Australia/Sydney")
    yield simulator
    simulator.stop()


def test_messages_threads_history_and_reactions(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    channel = sim.add_channel("general", members=["U0JAMES01"], bot_member=True)
    parent = client.chat_postMessage(channel=channel, text="parent")["ts"]
    client.chat_postMessage(channel=channel, text="reply", thread_ts=parent)
    client.chat_postMessage(channel=channel, text="shown too", thread_ts=parent, reply_broadcast=True)
    assert [m["text"] for m in client.conversations_history(channel=channel)["messages"]] == ["shown too", "parent"]
    replies = client.conversations_replies(channel=channel, ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["parent", "reply", "shown too"] and replies[0]["reply_count"] == 2
    assert client.conversations_members(channel=channel)["members"] == ["U0BOT0001", "U0JAMES01"]
    client.reactions_add(channel=channel, timestamp=parent, name="eyes")
    with pytest.raises(SlackApiError, match="already_reacted"):
        client.reactions_add(channel=channel, timestamp=parent, name="eyes")
    client.reactions_remove(channel=channel, timestamp=parent, name="eyes")
    assert "reactions" not in sim.message(channel, parent) or sim.message(channel, parent)["reactions"] == []
    client.chat_delete(channel=channel, ts=parent)
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel=channel, ts=parent, text="gone")


def test_posting_needs_membership_and_text(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    outside = sim.add_channel("elsewhere")
    with pytest.raises(SlackApiError, match="not_in_channel"):
        client.chat_postMessage(channel=outside, text="hi")
    client.conversations_join(channel=outside)
    with pytest.raises(SlackApiError, match="no_text"), pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel=outside)
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.chat_postMessage(channel="C0NOPE000", text="hi")


def test_dms_group_dms_users_and_user_groups(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    client.chat_postMessage(channel="U0JAMES01", text="a DM")
    assert [m["text"] for m in sim.dms("U0JAMES01")] == ["a DM"]
    group = client.conversations_open(users="U0JAMES01,U0ALICE01")["channel"]["id"]
    assert group.startswith("G") and client.conversations_open(users="U0ALICE01,U0JAMES01")["channel"]["id"] == group
    members = [m["id"] for page in client.users_list(limit=2) for m in page["members"]]
    assert members == ["U0BOT0001", "U0JAMES01", "U0ALICE01"]
    assert client.users_info(user="U0ALICE01")["user"]["tz"] == "Australia/Sydney"
    team = sim.add_usergroup("fulfillment-engineering", ["U0JAMES01"])
    assert client.usergroups_list()["usergroups"][0]["handle"] == "fulfillment-engineering"
    assert client.usergroups_users_list(usergroup=team)["users"] == ["U0JAMES01"]


def test_views_need_a_fresh_trigger(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id="made-up", view=modal)
    trigger = sim.issue_trigger("U0JAMES01")
    opened = client.views_open(trigger_id=trigger, view=modal)["view"]
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id=trigger, view=modal)
    client.views_push(trigger_id=sim.issue_trigger("U0JAMES01"), view=modal)
    updated = client.views_update(
        view_id=opened["id"], hash=opened["hash"], view={**modal, "blocks": [{"type": "divider"}]}
    )
    assert updated["view"]["blocks"] == [{"type": "divider"}]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    too_big = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.views_publish(user_id="U0JAMES01", view=too_big)
    client.views_publish(user_id="U0JAMES01", view={"type": "home", "blocks": []})
    assert sim.home_views["U0JAMES01"]["type"] == "home"


def status_of(call: Callable[[], object]) -> int:
    try:
        call()
    except SlackApiError as exc:
        return int(exc.response.status_code)
    return 200


def test_rate_limits_per_method_tier_answer_429_with_retry_after(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url, retries=False)
    sim.enforce_rate_limits()
    answers = [status_of(client.usergroups_list) for _ in range(6)]
    assert answers == [200] * 5 + [429], "Tier 2: 20 a minute, a burst of 5"
    with pytest.raises(SlackApiError) as refused:
        client.usergroups_list()
    assert int(refused.value.response.headers["Retry-After"]) >= 1
    assert status_of(lambda: client.users_info(user="U0JAMES01")) == 200, "another method has its own limit"
    sim.enforce_rate_limits(None)
    assert status_of(client.usergroups_list) == 200


def test_post_message_is_limited_per_channel_and_per_workspace(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url, retries=False)
    first = sim.add_channel("first", bot_member=True)
    second = sim.add_channel("second", bot_member=True)
    sim.enforce_rate_limits(RateLimits(workspace=Rate(1 / 60, 5)))
    in_first = [status_of(lambda: client.chat_postMessage(channel=first, text="x")) for _ in range(4)]
    assert in_first == [200, 200, 200, 429], "about one a second per channel, with a burst of three"
    in_second = [status_of(lambda: client.chat_postMessage(channel=second, text="x")) for _ in range(3)]
    assert in_second == [200, 200, 429], "the workspace's cap (5 here) counts every channel"
    assert [m for m, _ in sim.refusals] == ["chat.postMessage", "chat.postMessage"]
    assert len(sim.messages(first)) == 3 and len(sim.messages(second)) == 2, "a refused post is not posted"


def test_an_outage_answers_503_to_everything_until_it_ends(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url, retries=False)
    sim.outage(60)
    assert status_of(client.auth_test) == 503
    assert status_of(lambda: client.chat_postMessage(channel="U0JAMES01", text="x")) == 503
    response_url = sim.issue_response_url(sim.base_url, "U0JAMES01", sim.dm_channel("U0JAMES01"))
    assert requests.post(response_url, json={"text": "x"}, timeout=5).status_code == 503
    assert sim.dms("U0JAMES01") == []
    sim.clear_faults()
    assert status_of(client.auth_test) == 200


def test_a_slow_method_takes_its_time_but_takes_effect(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url, retries=False)
    sim.slow("chat.postMessage", 0.3)
    started = time.monotonic()
    client.chat_postMessage(channel="U0JAMES01", text="late")
    assert time.monotonic() - started >= 0.3
    assert [m["text"] for m in sim.dms("U0JAMES01")] == ["late"]


def test_message_timestamps_never_repeat(sim: SlackSimulator) -> None:
    stamps = [sim.next_ts() for _ in range(10_000)]
    assert len(set(stamps)) == len(stamps) and stamps == sorted(stamps, key=float)
    assert all(len(s.split(".")[1]) == 6 for s in stamps)
