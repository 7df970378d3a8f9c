"""The Slack simulator answers the real WebClient as Slack does, method by method."""

from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError

from slackbot.slack_client import make_web_client
from slackbot.testing.slack_sim import SlackSimulator


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
