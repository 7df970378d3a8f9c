"""The feature freeze: from the Friday the milestone ends to release day (the third Thursday of
the month after), read from GitLab's milestones, announced at its start and end, and named on the
trains that come during it. The harness starts on Monday 2026-11-23 08:00 UTC."""

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from handlers.deploys.config import DeploysSection
from handlers.deploys.freeze import current, freeze_of, third_thursday
from slackbot.config import Config
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.harness import Harness
from tests.handlers.deploys.test_train import APP, pipeline, ride, text, trains

ENGINEERING = "s_fulfillment_engineering"


def test_the_freeze_runs_from_the_friday_the_milestone_ends_to_release_day() -> None:
    assert third_thursday(2026, 12) == date(2026, 12, 17) and third_thursday(2027, 1) == date(2027, 1, 21)
    assert freeze_of("18.7", date(2026, 12, 11)) == freeze_of("18.7", date(2026, 12, 13))
    found = freeze_of("18.7", date(2026, 12, 11))
    assert (found.starts, found.ends) == (date(2026, 12, 11), date(2026, 12, 17))
    assert found.holds(date(2026, 12, 16)) and not found.holds(date(2026, 12, 17))
    assert freeze_of("18.8", date(2027, 1, 22)).ends == date(2027, 2, 18), "release day already past: next month's"
    assert current([("18.7", date(2026, 12, 11)), ("18.8", date(2027, 1, 15))], date(2026, 12, 20)).milestone == "18.8"  # type: ignore[union-attr]


@pytest.fixture
def harness(database_url: str, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    gitlab_server.add_milestone(APP, "18.7", "2026-11-27")
    settings = {
        "gitlab_url": gitlab_server.base_url,
        "gitlab_token": gitlab_server.token,
        "gitlab_webhook_secret": "hook-secret",
    }
    with Harness(database_url, Config.of(DeploysSection()), **settings) as running:
        yield running


def announcements(harness: Harness) -> list[str]:
    return [m["text"] for m in harness.sim.messages(ENGINEERING) if "feature freeze" in m["text"].lower()]


@pytest.mark.both_databases
def test_a_freeze_is_announced_at_its_start_and_end_and_named_on_its_trains(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    harness.tick()
    assert announcements(harness) == []
    harness.advance(timedelta(days=4))  # Friday 27 November
    harness.advance(timedelta(hours=1))
    assert announcements(harness) == [
        ":snowflake: Feature freeze for 18.7 from today to release day, Thursday 17 December: "
        "what is not merged now moves to the next milestone."
    ]
    pipeline_id, jobs = pipeline(gitlab_server)
    ride(harness, pipeline_id, jobs, 1)
    assert ":snowflake: Merged during the feature freeze of 18.7" in text(trains(harness)[-1])
    harness.advance(timedelta(days=20))  # Thursday 17 December
    assert announcements(harness)[1:] == [":sunny: Release day: the feature freeze for 18.7 is over."]
    harness.advance(timedelta(days=1))
    assert len(announcements(harness)) == 2
