"""Configured channel names become IDs at start: from what the bot is a member of first, then the
public channels (joined on the way); the IDs and the bot's identity are kept for starts while Slack
refuses."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from slackbot.channels import SlackUnavailable, WorkspaceCache, forget_channel, identify, resolve_channels
from slackbot.config import ChannelsSection, ConfigError
from slackbot.db import Database
from slackbot.slack_client import make_web_client
from slackbot.testing.slack_sim import SlackSimulator

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
KEYS = ("questions", "announcements", "engineering", "daily", "status")


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    """An empty workspace: each test adds the channels it needs."""
    simulator = SlackSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def cache(database_url: str) -> Iterator[WorkspaceCache]:
    db = Database(database_url)
    db.migrate()
    yield WorkspaceCache(db)
    db.dispose()


def add_default_channels(sim: SlackSimulator, member: bool = False) -> dict[str, str]:
    defaults = ChannelsSection()
    ids = {key: sim.add_channel(getattr(defaults, key)) for key in KEYS}
    if member:
        for channel_id in ids.values():
            sim.channels[channel_id].members.add(sim.bot_user_id)
    return ids


def resolve(sim: SlackSimulator, cache: WorkspaceCache, section: ChannelsSection | None = None) -> dict[str, str]:
    return resolve_channels(
        make_web_client(sim.token, sim.api_url, retries=False), section or ChannelsSection(), cache, NOW
    )


def test_channels_the_bot_is_in_resolve_without_listing_the_workspace(
    sim: SlackSimulator, cache: WorkspaceCache
) -> None:
    for i in range(450):
        sim.add_channel(f"noise-{i}")
    ids = add_default_channels(sim, member=True)
    assert resolve(sim, cache) == ids
    assert len(sim.calls_to("users.conversations")) == 1
    assert sim.calls_to("conversations.list") == [] and sim.calls_to("conversations.join") == []


def test_other_public_channels_are_found_across_pages_and_joined(sim: SlackSimulator, cache: WorkspaceCache) -> None:
    for i in range(450):
        sim.add_channel(f"noise-{i}")
    ids = add_default_channels(sim)
    assert resolve(sim, cache) == ids
    assert len(sim.calls_to("conversations.list")) == 3, "450+5 channels at 200 a page"
    assert sorted(c["channel"] for c in sim.calls_to("conversations.join")) == sorted(ids.values())
    assert all(sim.bot_user_id in sim.channels[i].members for i in ids.values())


def test_ids_are_checked_one_by_one_instead_of_listing(sim: SlackSimulator, cache: WorkspaceCache) -> None:
    ids = add_default_channels(sim)
    section = ChannelsSection(**ids)
    assert resolve(sim, cache, section) == ids
    assert sim.calls_to("conversations.list") == []
    assert len(sim.calls_to("conversations.info")) == 5 and len(sim.calls_to("conversations.join")) == 5


def test_a_missing_channel_names_its_config_key(sim: SlackSimulator, cache: WorkspaceCache) -> None:
    add_default_channels(sim)
    private = sim.add_channel("secret-status", is_private=True)
    section = ChannelsSection(daily="no-such-channel", status="secret-status")
    with pytest.raises(ConfigError) as caught:
        resolve(sim, cache, section)
    assert caught.value.problems == [
        'channels.daily: channel "no-such-channel" was not found; create it, or invite the bot if it is private',
        'channels.status: channel "secret-status" was not found; create it, or invite the bot if it is private',
    ]
    sim.channels[private].members.add(sim.bot_user_id)
    assert resolve(sim, cache, ChannelsSection(status="secret-status"))["status"] == private


def test_a_later_start_asks_slack_nothing_until_a_channel_is_not_found(
    sim: SlackSimulator, cache: WorkspaceCache
) -> None:
    ids = add_default_channels(sim)
    assert resolve(sim, cache) == ids
    before = len(sim.calls)
    assert resolve(sim, cache) == ids
    assert len(sim.calls) == before, "every ID came from the cache"
    with cache.db.transaction() as session:
        forget_channel(session, ids["status"])
    del sim.channels[ids["status"]]
    replacement = sim.add_channel(ChannelsSection().status)
    assert resolve(sim, cache)["status"] == replacement
    assert [method for method, _ in sim.calls[before:]] == [
        "users.conversations",
        "conversations.list",
        "conversations.join",
    ]
    assert sim.calls_to("conversations.join")[-1]["channel"] == replacement


def test_identity_comes_from_the_last_start_while_slack_answers_429(sim: SlackSimulator, cache: WorkspaceCache) -> None:
    client = make_web_client(sim.token, sim.api_url, retries=False)
    sim.rate_limit("auth.test", times=100, retry_after=60)
    with pytest.raises(SlackUnavailable):
        identify(client, cache, NOW)
    sim.clear_faults()
    assert identify(client, cache, NOW)["user_id"] == sim.bot_user_id
    sim.rate_limit("auth.test", times=100, retry_after=60)
    remembered = identify(client, cache, NOW)
    assert remembered["user_id"] == sim.bot_user_id and remembered["team_id"] == sim.team_id


@pytest.mark.slow
def test_a_short_429_is_waited_out(sim: SlackSimulator, cache: WorkspaceCache) -> None:
    add_default_channels(sim, member=True)
    sim.rate_limit("users.conversations", times=1, retry_after=1)
    assert resolve(sim, cache)["status"] in sim.channels
    assert len(sim.calls_to("users.conversations")) == 2


def test_a_channel_a_section_names_is_looked_up_and_a_missing_one_only_warned_of(
    sim: SlackSimulator, cache: WorkspaceCache, caplog: pytest.LogCaptureFixture
) -> None:
    ids = add_default_channels(sim)
    ux = sim.add_channel("s_fulfillment_ux")
    client = make_web_client(sim.token, sim.api_url, retries=False)
    optional = {"reviews.ux_channel": "#s_fulfillment_ux"}
    assert resolve_channels(client, ChannelsSection(), cache, NOW, optional) == ids | {"reviews.ux_channel": ux}
    missing = {"reviews.ux_channel": "no-such-ux"}
    assert resolve_channels(client, ChannelsSection(), cache, NOW, missing) == ids, "the bot still starts"
    assert 'reviews.ux_channel: channel "no-such-ux" was not found' in caplog.text
