"""Under Slack's rate limits nothing is lost or doubled, and a page is never stuck behind bulk work.

The simulator refuses calls beyond Slack's limits with 429 and ``Retry-After``; the bot's own
pacing is set faster than the simulator allows, so Slack really does refuse. Both run five (bot:
ten) times Slack's real rates, so the morning takes seconds instead of minutes; the deliverer runs
its own loop, in real time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from handlers.incidents.config import EscalationLevel, IncidentsSection
from handlers.questions.config import AutoReply, QuestionsSection
from handlers.questions.models import Question
from slackbot.config import Config, Person
from slackbot.ratelimit import SlackLimits
from slackbot.testing.harness import ASKER, TEAM, Harness
from slackbot.testing.slack_sim import RateLimits
from tests.processes import wait_for

pytestmark = pytest.mark.slow

JAMES, VITALY = TEAM[0].id, TEAM[1].id
PEOPLE = [f"U{n:08d}" for n in range(400)]
MONDAY_0930_UTC = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
SLACK = RateLimits(scale=5)
BOT = SlackLimits(scale=10)


def config() -> Config:
    return Config.of(
        IncidentsSection(escalation=[EscalationLevel(users=[JAMES, VITALY], ack_timeout=timedelta(minutes=5))]),
        QuestionsSection(autoreplies=[AutoReply(keywords=["license"], reply="Use the request form.")]),
        people=[Person(slack=user, timezone="UTC") for user in PEOPLE],
    )


@pytest.fixture
def limited(database_url: str) -> Iterator[Harness]:
    with Harness(database_url, config(), start=MONDAY_0930_UTC, limits=BOT, background=True) as harness:
        for user in PEOPLE:
            harness.sim.add_user(user, user.lower())
        harness.sim.enforce_rate_limits(SLACK)
        yield harness


def prompts(harness: Harness) -> list[int]:
    return [len(harness.sim.dms(user)) for user in PEOPLE]


def test_a_declaration_pages_within_5_s_while_slack_refuses_a_400_person_morning(limited: Harness) -> None:
    harness = limited
    harness.tick()
    wait_for(lambda: len(harness.sim.refusals) >= 5, "Slack to start refusing the morning's prompts")
    assert sum(prompts(harness)) < len(PEOPLE), "the morning is still going out"
    started = time.monotonic()
    harness.driver.command(TEAM[2].id, "/incident", "declare Renewals fail sev1", channel="s_fulfillment_status")
    wait_for(lambda: harness.sim.dms(JAMES) and harness.sim.dms(VITALY), "level 1 to be paged", timeout=10)
    paged_after = time.monotonic() - started
    assert paged_after < 5, f"level 1 paged {paged_after:.1f} s after the declaration"

    wait_for(lambda: all(prompts(harness)), "every prompt to go out", timeout=120)
    time.sleep(1)
    assert prompts(harness) == [1] * len(PEOPLE), "each prompt once, none lost"
    assert [len(harness.sim.dms(u)) for u in (JAMES, VITALY)] == [1, 1]
    assert len(harness.sim.refusals) >= 5


def test_thirty_questions_in_5_s_are_all_tracked_each_with_one_auto_reply(limited: Harness) -> None:
    harness = limited
    started = time.monotonic()
    asked = [harness.driver.say(ASKER.id, "s_fulfillment", f"How do I move license {n}?") for n in range(30)]
    assert time.monotonic() - started < 5

    def tracked() -> int:
        with harness.bot.ctx.db.reading() as session:
            return session.scalar(select(func.count()).select_from(Question)) or 0

    assert tracked() == 30, "every question is tracked as it arrives, whatever Slack's pace"

    def replies() -> list[int]:
        return [len(harness.sim.replies("s_fulfillment", q["ts"])) for q in asked]

    wait_for(lambda: all(replies()), "every auto-reply", timeout=60)
    time.sleep(1)
    assert replies() == [1] * 30
    assert harness.sim.refusals, "Slack refused some of them on the way (one channel: about one a second)"
