from collections.abc import Iterator

import pytest

from slackbot.config import Config
from slackbot.testing.harness import standard_workspace
from slackbot.testing.slack_sim import SlackSimulator


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    """A bare simulator with the standard workspace, for tests that start the bot themselves."""
    simulator = SlackSimulator().start()
    standard_workspace(simulator, Config())
    yield simulator
    simulator.stop()
