"""Cadence announcements at the right local time, once, across restarts."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from handlers.cadence.config import Cadence, CadenceSection
from handlers.cadence.jobs import due_times
from slackbot.config import Config
from slackbot.testing.harness import Harness

FYI = "s_fulfillment_fyi"


@pytest.fixture
def harness(database_url: str) -> Iterator[Harness]:
    config = Config.of(
        CadenceSection(
            [
                Cadence(cron="0 9 26 * *", channel="announcements", text="Preliminary issue review today."),
                Cadence(cron="0 9 1 * *", channel="engineering", text="Release scope is final today."),
            ]
        ),
        timezone="Europe/Madrid",
    )
    with Harness(database_url, config, datetime(2026, 11, 26, 7, 0, tzinfo=UTC)) as running:
        yield running


def at(harness: Harness, when: str) -> None:
    harness.clock.set(datetime.fromisoformat(when).replace(tzinfo=UTC))
    harness.tick()


def test_posts_at_nine_in_the_team_timezone_once(harness: Harness) -> None:
    at(harness, "2026-11-26T07:59")  # 08:59 in Madrid
    assert harness.sim.messages(FYI) == []
    at(harness, "2026-11-26T08:00")
    at(harness, "2026-11-26T08:00:15")
    assert [m["text"] for m in harness.sim.messages(FYI)] == ["Preliminary issue review today."]
    harness.restart()
    at(harness, "2026-11-26T08:30")
    assert len(harness.sim.messages(FYI)) == 1, "no double post after a restart"
    at(harness, "2026-12-01T08:05")
    assert [m["text"] for m in harness.sim.messages("s_fulfillment_engineering")] == ["Release scope is final today."]


def test_a_restart_within_the_hour_still_posts_and_later_does_not(harness: Harness) -> None:
    at(harness, "2026-11-26T08:45")  # the bot was down at 09:00 Madrid and is back at 09:45
    assert len(harness.sim.messages(FYI)) == 1
    at(harness, "2026-12-01T09:30")  # down from before 09:00 until 10:30 Madrid: let go
    assert harness.sim.messages("s_fulfillment_engineering") == []


def test_due_times() -> None:
    now = datetime(2026, 11, 26, 8, 40, tzinfo=UTC)
    assert due_times("*/15 * * * *", "UTC", now, timedelta(hours=1)) == [
        datetime(2026, 11, 26, 7, 45, tzinfo=UTC),
        datetime(2026, 11, 26, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 8, 15, tzinfo=UTC),
        datetime(2026, 11, 26, 8, 30, tzinfo=UTC),
    ]
    assert due_times("0 9 26 * *", "Europe/Madrid", now) == [datetime(2026, 11, 26, 8, 0, tzinfo=UTC)]
