from collections.abc import Iterator

import pytest

from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.fake_pagerduty import FakePagerDuty

APP_PROJECT = "gitlab-org/customers-gitlab-com"


@pytest.fixture
def gitlab_server() -> Iterator[FakeGitLab]:
    """A fake GitLab holding the app project."""
    server = FakeGitLab().start()
    server.add_project(APP_PROJECT)
    yield server
    server.stop()


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDuty]:
    server = FakePagerDuty().start()
    yield server
    server.stop()
