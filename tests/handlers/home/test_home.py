"""The App Home tab, published on app_home_opened."""

from datetime import UTC, datetime, timedelta

import pytest

from handlers.async_updates.models import AsyncUpdateReminder
from slackbot.config import Config, SlackSection
from slackbot.home import cap, section
from slackbot.testing.harness import ASKER, TEAM, Harness

JAMES, VITALY = TEAM[0].id, TEAM[1].id


def home_text(harness: Harness, user: str) -> list[str]:
    harness.driver.open_home(user)
    return home_text_now(harness, user)


def test_an_empty_home_says_nothing_is_waiting(harness: Harness) -> None:
    texts = home_text(harness, ASKER.id)
    assert "_None: everything you asked has a ✅._" in texts
    assert "_You are not in the daily standup._" in texts
    assert "_No open incidents._" in texts and "_No open pair requests._" in texts
    assert "_Nothing waiting: your assigned issues all have a recent update._" in texts


def test_the_home_shows_what_concerns_the_person(database_url: str) -> None:
    from slackbot.config import Config, Person

    config = Config(people=[Person(slack=JAMES, timezone="Europe/Madrid")])
    with Harness(database_url, config, datetime(2026, 11, 23, 8, 0, tzinfo=UTC)) as harness:
        harness.driver.say(JAMES, "s_fulfillment", "Where is the license app runbook?")
        harness.driver.command(VITALY, "/incident", "declare Renewals failing")
        harness.driver.command(JAMES, "/pair", "Pair on the seat sync")
        with harness.bot.ctx.db.transaction() as session:
            issue = {"url": "https://gitlab.example.com/x/-/issues/7", "reference": "x#7", "title": "Seat sync"}
            session.add(
                AsyncUpdateReminder(user_id=JAMES, week="2026-W48", checked_at=harness.clock.now(), issues=[issue])
            )
        harness.clock.advance(timedelta(minutes=5))
        texts = home_text(harness, JAMES)
        assert any(
            t.startswith("• Where is the license app runbook? (<https://simulated.slack.local/archives/")
            and t.endswith("|open>, 5m ago)")
            for t in texts
        )
        assert "Today's standup (Monday 23 November)" in texts and "Not answered yet." in texts
        assert any(t.startswith("• #1 sev2 *open*: Renewals failing (5m ago)") for t in texts)
        assert "• Pair on the seat sync (asked 5m ago)" in texts
        assert "• <https://gitlab.example.com/x/-/issues/7|x#7 Seat sync>" in texts
        home = harness.sim.home_views[JAMES]
        harness.driver.click(JAMES, "Write standup", view_id=home["id"])
        assert harness.driver.open_views(JAMES)[-1]["callback_id"] == "standup_submit"


def test_sections_and_the_view_stay_within_slacks_limits() -> None:
    block = section("Many", [f"• item {i}" for i in range(15)], "none")[1]
    lines = block["text"]["text"].splitlines()
    assert len(lines) == 11 and lines[-1] == "_and 5 more_"
    capped = cap([{"type": "divider"}] * 150)
    assert len(capped) == 100 and capped[-1]["elements"][0]["text"] == "and 51 more blocks not shown"
    assert cap([{"type": "divider"}] * 100) == [{"type": "divider"}] * 100


@pytest.fixture
def config() -> Config:
    """Vitaly resolves the incidents declared here: with no escalation policy, only admins may."""
    return Config(slack=SlackSection(admins=[VITALY]))


def test_the_home_is_republished_when_something_in_it_changes(harness: Harness) -> None:
    harness.driver.say(ASKER.id, "s_fulfillment", "Who owns the trial flow?")
    assert ASKER.id not in harness.sim.home_views, "not published for someone who never opened it"
    harness.driver.open_home(ASKER.id)
    asked = harness.sim.messages("s_fulfillment")[-1]
    assert any("Who owns the trial flow?" in t for t in home_text_now(harness, ASKER.id))
    harness.driver.react(ASKER.id, "s_fulfillment", asked["ts"], "white_check_mark")
    assert "_None: everything you asked has a ✅._" in home_text_now(harness, ASKER.id)
    harness.driver.command(VITALY, "/incident", "declare Renewals failing")
    assert any("Renewals failing" in t for t in home_text_now(harness, ASKER.id)), "incidents: everyone's home"
    harness.driver.click(VITALY, "Resolve", channel="s_fulfillment_status")
    assert "_No open incidents._" in home_text_now(harness, ASKER.id)


def home_text_now(harness: Harness, user: str) -> list[str]:
    return [b.get("text", {}).get("text", "") for b in harness.sim.home_views[user]["blocks"]]
