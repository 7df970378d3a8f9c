from collections.abc import Iterator

import pytest

from slackbot.channels import resolve_channels
from slackbot.config import ChannelsSection, ConfigError
from slackbot.slack_client import make_web_client
from slackbot.testing.slack_sim import SlackSimulator


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    """An empty workspace: each test adds the channels it needs."""
    simulator = SlackSimulator().start()
    yield simulator
    simulator.stop()


def add_default_channels(sim: SlackSimulator) -> dict[str, str]:
    defaults = ChannelsSection()
    return {
        key: sim.add_channel(getattr(defaults, key))
        for key in ("questions", "announcements", "engineering", "daily", "status")
    }


def test_names_resolve_across_pages_and_public_channels_are_joined(sim: SlackSimulator) -> None:
    for i in range(450):
        sim.add_channel(f"noise-{i}")
    ids = add_default_channels(sim)
    resolved = resolve_channels(make_web_client(sim.token, sim.api_url), ChannelsSection())
    assert resolved == ids
    assert len(sim.calls_to("conversations.list")) == 3, "450+5 channels at 200 a page"
    assert sorted(c["channel"] for c in sim.calls_to("conversations.join")) == sorted(ids.values())
    assert all(sim.bot_user_id in sim.channels[i].members for i in ids.values())


def test_ids_are_accepted_and_members_are_not_joined_again(sim: SlackSimulator) -> None:
    ids = add_default_channels(sim)
    for channel_id in ids.values():
        sim.channels[channel_id].members.add(sim.bot_user_id)
    section = ChannelsSection(status=ids["status"], questions="#s_fulfillment")
    assert resolve_channels(make_web_client(sim.token, sim.api_url), section) == ids
    assert sim.calls_to("conversations.join") == []


def test_a_missing_channel_names_its_config_key(sim: SlackSimulator) -> None:
    add_default_channels(sim)
    private = sim.add_channel("secret-status", is_private=True)
    section = ChannelsSection(daily="no-such-channel", status="secret-status")
    with pytest.raises(ConfigError) as caught:
        resolve_channels(make_web_client(sim.token, sim.api_url), section)
    assert caught.value.problems == [
        'channels.daily: channel "no-such-channel" was not found; create it, or invite the bot if it is private',
        'channels.status: channel "secret-status" was not found; create it, or invite the bot if it is private',
    ]
    sim.channels[private].members.add(sim.bot_user_id)
    assert (
        resolve_channels(make_web_client(sim.token, sim.api_url), ChannelsSection(status="secret-status"))["status"]
        == private
    )
