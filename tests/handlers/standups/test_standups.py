"""Standups driven as Slack drives them, with a fake clock and people in four timezones.

Alice is in Sydney (UTC+11 in November), James in Madrid and Vitaly in Berlin (UTC+1; Vitaly's
timezone comes from his Slack profile), Bob in Los Angeles (UTC-8). Prompts are at 09:30 local.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from handlers.standups.config import StandupsSection
from handlers.standups.schedule import participation
from slackbot.config import Config, Person
from slackbot.models import OutboxItem
from slackbot.testing.harness import TEAM, Harness
from tests.handlers.support import race_job

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
SUNDAY_NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SETTINGS = StandupsSection(
    time=time(9, 30),
    remind_after=timedelta(hours=2),
    summary_after=timedelta(hours=4),
    holidays=[date(2026, 12, 25)],
)


def team_config(settings: StandupsSection = SETTINGS) -> Config:
    return Config.of(
        settings,
        timezone="UTC",
        people=[
            Person(slack=ALICE, timezone="Australia/Sydney"),
            Person(slack=JAMES, timezone="Europe/Madrid"),
            Person(slack=VITALY),
            Person(slack=BOB, timezone="America/Los_Angeles"),
            Person(slack=ADMIN, standup=False),
        ],
    )


@pytest.fixture
def config() -> Config:
    return team_config()


@pytest.fixture
def harness(database_url: str, config: Config) -> Iterator[Harness]:
    with Harness(database_url, config, start=SUNDAY_NOON) as running:
        running.tick()  # the first tick, at start: it reads the Slack profiles (Vitaly's timezone)
        yield running


def at(harness: Harness, when: str) -> None:
    """Set the clock to an ISO time (UTC) and run one scheduler tick."""
    harness.clock.set(datetime.fromisoformat(when).replace(tzinfo=UTC))
    harness.tick()


def prompts(harness: Harness, user: str) -> list[str]:
    return [m["text"] for m in harness.sim.dms(user) if "standup" in m["text"]]


def daily(harness: Harness) -> list[dict]:  # type: ignore[type-arg]
    return harness.sim.messages("s_fulfillment_daily")


def write(harness: Harness, user: str, answers: dict[str, object], via_command: bool = False) -> None:
    if via_command:
        harness.driver.command(user, "/standup", channel="s_fulfillment_daily")
    else:
        harness.driver.click(user, "Write standup")
    view = harness.driver.open_views(user)[-1]
    response = harness.driver.submit(user, view["id"], answers)
    assert response.status_code == 200


def thread_replies(harness: Harness, day_title: str) -> list[str]:
    parent = next(m for m in daily(harness) if day_title in m["text"])
    return [m["text"] for m in harness.sim.replies("s_fulfillment_daily", parent["ts"])]


def test_prompts_at_each_persons_local_time_on_working_days(harness: Harness) -> None:
    at(harness, "2026-11-22T22:29")
    assert all(prompts(harness, u) == [] for u in (ALICE, JAMES, VITALY, BOB))
    at(harness, "2026-11-22T22:30")
    assert prompts(harness, ALICE) == ["Good morning! Time for your standup for Monday 23 November."]
    assert prompts(harness, JAMES) == []
    at(harness, "2026-11-23T08:29")
    assert prompts(harness, JAMES) == []
    at(harness, "2026-11-23T08:31")
    assert prompts(harness, JAMES) == ["Good morning! Time for your standup for Monday 23 November."]
    assert prompts(harness, VITALY) == prompts(harness, JAMES), "Berlin, from Vitaly's Slack profile"
    assert prompts(harness, BOB) == []
    at(harness, "2026-11-23T17:30")
    assert len(prompts(harness, BOB)) == 1
    at(harness, "2026-11-23T17:45")
    assert [len(prompts(harness, u)) for u in (ALICE, JAMES, VITALY, BOB)] == [1, 1, 1, 1]
    assert prompts(harness, ADMIN) == [], "standup = false"
    at(harness, "2026-11-23T22:31")
    assert prompts(harness, ALICE)[-1] == "Good morning! Time for your standup for Tuesday 24 November."
    assert prompts(harness, BOB)[-1].endswith("Monday 23 November."), "Bob is still on his Monday"
    at(harness, "2026-11-27T22:31")  # Saturday 28 in Sydney
    at(harness, "2026-11-28T08:31")
    at(harness, "2026-11-28T17:31")
    assert not any(
        p.endswith("28 November.") or p.endswith("29 November.") for u in TEAM for p in prompts(harness, u.id)
    )


def test_a_restart_after_the_prompt_time_still_prompts_until_the_cutoff(harness: Harness) -> None:
    harness.restart()
    at(harness, "2026-11-23T09:00")  # 10:00 in Madrid: the 09:30 prompt was missed while down
    assert len(prompts(harness, JAMES)) == 1
    harness.restart()
    at(harness, "2026-11-23T09:15")
    assert len(prompts(harness, JAMES)) == 1, "one prompt per day, across restarts"
    at(harness, "2026-11-23T21:31")  # after Bob's cutoff (13:30 in LA) and nobody prompted him
    assert prompts(harness, BOB) == []


@pytest.mark.both_databases
def test_two_schedulers_racing_prompt_once(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 11, 23, 8, 40, tzinfo=UTC))
    jobs = {j.name: j for j in harness.bot.ctx.scheduler.jobs}
    now = harness.clock.now()
    jobs["people.refresh_profiles"].run(now)
    race_job(harness, "standups.prompts")
    assert len(prompts(harness, JAMES)) == 1
    assert len(prompts(harness, VITALY)) == 1


@pytest.mark.parametrize("config", [team_config(StandupsSection(holidays=[date(2026, 11, 24)]))])
def test_holidays_and_away_days_are_not_prompted(harness: Harness) -> None:
    at(harness, "2026-11-23T08:00")
    harness.driver.command(JAMES, "/standup", "away 2026-11-25 2026-11-26")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].startswith("Away from Wednesday 25 November to Thursday 26")
    for day in (23, 24, 25, 26, 27):
        at(harness, f"2026-11-{day}T08:40")
    assert [p.split(" for ")[-1] for p in prompts(harness, JAMES)] == ["Monday 23 November.", "Friday 27 November."]
    assert [p.split(" for ")[-1] for p in prompts(harness, VITALY)] == [
        "Monday 23 November.",
        "Wednesday 25 November.",
        "Thursday 26 November.",
        "Friday 27 November.",
    ]
    harness.driver.command(JAMES, "/standup", "away 2026-11-30 2026-12-04")
    harness.driver.command(JAMES, "/standup", "away clear")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].startswith("Cleared 1 away period(s).")
    at(harness, "2026-11-30T08:40")
    assert prompts(harness, JAMES)[-1].endswith("Monday 30 November.")


def test_answers_go_in_the_days_thread_and_edits_update_in_place(harness: Harness) -> None:
    at(harness, "2026-11-23T08:31")
    write(harness, JAMES, {"q0": "Fixed the invoice job", "q1": "Reviews", "q2": ""})
    [parent] = daily(harness)
    assert parent["text"] == ":sunrise: Standup for Monday 23 November. Answers go in this thread."
    [reply] = thread_replies(harness, "Monday 23 November")
    assert (
        reply == f"*<@{JAMES}>*\n*What did you do since your last update?*\nFixed the invoice job\n"
        "*What will you do today?*\nReviews"
    )

    write(
        harness,
        VITALY,
        {"q0": "Licenses", "q1": "More licenses", "q2": "Zuora sandbox is down", "blocked": ["blocked"]},
    )
    write(harness, JAMES, {"q0": "Fixed the invoice job", "q1": "Reviews and a spike", "q2": ""}, via_command=True)
    modal = harness.sim.calls_to("views.open")[-1]["view"]
    assert modal["blocks"][0]["element"]["initial_value"] == "Fixed the invoice job", (
        "the modal shows the answers so far"
    )
    assert len(daily(harness)) == 1, "one parent message"
    replies = thread_replies(harness, "Monday 23 November")
    assert len(replies) == 2, "one reply per person"
    assert "Reviews and a spike" in replies[0] and ":no_entry: *blocked*" in replies[1]
    assert len(harness.sim.calls_to("chat.update")) == 1


def test_an_empty_submission_is_refused_on_the_field(harness: Harness) -> None:
    at(harness, "2026-11-23T08:31")
    harness.driver.click(JAMES, "Write standup")
    view = harness.driver.open_views(JAMES)[-1]
    response = harness.driver.submit(JAMES, view["id"], {"q0": "  ", "q1": None})
    assert response.json() == {"response_action": "errors", "errors": {"q0": "Please answer at least one question."}}
    assert daily(harness) == []


def test_one_reminder_then_a_summary_with_blockers(harness: Harness) -> None:
    at(harness, "2026-11-22T22:31")  # Alice prompted (Mon in Sydney)
    at(harness, "2026-11-23T08:31")  # James, Vitaly prompted
    write(harness, VITALY, {"q0": "x", "q1": "y", "q2": "The Zuora sandbox\nis down", "blocked": ["blocked"]})
    harness.driver.command(JAMES, "/standup", "skip")
    at(harness, "2026-11-23T10:31")
    assert prompts(harness, JAMES) == ["Good morning! Time for your standup for Monday 23 November."], "skipped"
    assert len(prompts(harness, VITALY)) == 1, "answered"
    assert "Reminder" not in " ".join(prompts(harness, ALICE)), (
        "Alice's Monday cutoff passed before the reminder job saw it"
    )
    at(harness, "2026-11-23T17:31")  # Bob prompted
    at(harness, "2026-11-23T19:31")
    assert prompts(harness, BOB)[-1] == "Reminder: your standup for Monday 23 November is still open."
    at(harness, "2026-11-23T19:45")
    assert len(prompts(harness, BOB)) == 2, "one reminder"
    assert not any("summary" in m["text"] for m in daily(harness))
    at(harness, "2026-11-23T21:30")  # Bob's cutoff: 13:30 in LA, the last of the team
    summary = harness.sim.replies("s_fulfillment_daily", daily(harness)[0]["ts"])[-1]
    assert summary["text"] == "\n".join(
        [
            ":clipboard: *Standup summary for Monday 23 November*",
            "Answered (1): vitaly",
            "Away (1): james",
            "Missed (2): alice, bob",
            ":no_entry: *Blockers (1)*",
            "> The Zuora sandbox\n> is down\n— vitaly",
        ]
    )
    assert "<@" not in summary["text"], "the summary mentions nobody"
    assert summary.get("subtype") == "thread_broadcast", "blockers are also shown in the channel"
    harness.restart()
    at(harness, "2026-11-23T22:00")
    assert sum("summary" in m["text"] for m in harness.sim.messages("s_fulfillment_daily", include_replies=True)) == 1


def test_stats_and_streaks(harness: Harness) -> None:
    harness.driver.command(BOB, "/standup", "away 2026-11-25 2026-11-25")
    for day in (23, 24, 25, 26, 27):
        at(harness, f"2026-11-{day}T17:31")  # Bob's prompt; Vitaly's window (Berlin) is over, he uses /standup
        if day != 25:
            write(harness, BOB, {"q0": f"day {day}"})
        if day in (23, 25, 26):
            write(harness, VITALY, {"q0": "ok"}, via_command=True)
    at(harness, "2026-11-30T20:00")  # Monday 30: Bob answered nothing yet today
    harness.driver.command(JAMES, "/standup", "stats 2")
    lines = harness.sim.ephemerals_for(JAMES)[-1]["text"].splitlines()
    assert lines[0] == "*Standup participation, last 2 weeks*"
    assert f"• <@{BOB}>: 100% (4 answered, 0 missed, 1 away); streak 4" in lines
    assert f"• <@{VITALY}>: 60% (3 answered, 2 missed, 0 away); streak 0" in lines
    assert lines[-1] == "_The chart is in your DM with me._"
    [chart] = harness.sim.files_in(JAMES)
    assert chart["mimetype"] == "image/png" and chart["alt_txt"].startswith("Line chart of the team's standup")
    with harness.bot.ctx.db.reading() as session:
        [row] = session.scalars(select(OutboxItem).where(OutboxItem.kind == "slack.chart"))
        data = row.args["data"]
    assert [w["week"] for w in data["weeks"]][-2:] == ["2026-11-23", "2026-11-30"]
    bob = next(p for p in data["people"] if p["name"] == "bob")
    assert (bob["rate"], bob["streak"]) == (1.0, 4)
    harness.driver.command(JAMES, "/standup", "stats abc")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].startswith(
        "`abc` is not a number of weeks: give a whole number from 1 to 52."
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("away 2026-13-40 2026-12-01", "`2026-13-40` is not a date: use YYYY-MM-DD, like 2026-12-21."),
        ("away 2026-12-10 2026-12-01", "The last day (2026-12-01) is before the first (2026-12-10)."),
        ("away 2026-12-10", "Give the first and last day you are away: `/standup away 2026-12-21 2027-01-04`."),
        ("away 2026-01-01 2026-01-02", "That period ended before today (2026-11-22)."),
        ("dance", "I don't know `dance`."),
    ],
)
def test_bad_input_gets_a_clear_ephemeral_error(harness: Harness, text: str, error: str) -> None:
    response = harness.driver.command(JAMES, "/standup", text, channel="s_fulfillment_daily")
    assert response.status_code == 200
    answer = harness.sim.ephemerals_for(JAMES)[-1]["text"]
    assert answer.startswith(error + "\n\n*/standup*"), answer
    assert daily(harness) == []


def test_participation_counts_away_days_without_breaking_the_streak() -> None:
    monday = date(2026, 11, 23)
    days = [monday + timedelta(days=i) for i in range(8)]  # Mon 23 .. Mon 30
    result = participation(
        "U1",
        days,
        answered={days[0], days[1], days[3]},
        skipped={days[4]},
        away=[(days[2], days[2])],
        settings=SETTINGS,
        today=days[7],
    )
    assert (result.expected, result.answered, result.away, result.missed, result.streak) == (5, 3, 2, 0, 3)
    assert result.rate == 1.0
    missed_today_not_counted = participation("U1", days, {days[0]}, set(), [], SETTINGS, today=days[7])
    assert (missed_today_not_counted.missed, missed_today_not_counted.streak) == (4, 0)


def test_the_profile_sweep_runs_once_a_day_and_warns_once_about_departed_people(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    departed, deleted = "U0GONE001", "U0GONE002"
    config = Config.of(
        SETTINGS,
        timezone="Europe/Berlin",
        people=[Person(slack=JAMES, timezone="Europe/Madrid"), Person(slack=departed), Person(slack=deleted)],
    )
    with Harness(database_url, config, start=SUNDAY_NOON) as harness:
        harness.sim.add_user(deleted, "left-last-year", tz="Asia/Tokyo", deleted=True)
        for _ in range(47):  # every half hour for 23.5 hours
            harness.advance(timedelta(minutes=30))
        assert len(harness.sim.calls_to("users.list")) == 1, "one sweep in the first day, whatever the tick"
        harness.advance(timedelta(hours=1))
        assert len(harness.sim.calls_to("users.list")) == 2, "and the next one a day later"
        warnings = [r.getMessage() for r in caplog.records if "Slack lists no such active user" in r.getMessage()]
        assert sorted(w.split()[0] for w in warnings) == [departed, deleted], "each warned about once"
        with harness.bot.ctx.db.reading() as session:
            zones = harness.bot.ctx.directory.timezones(session, [departed, deleted, JAMES])
        assert [str(z) for z in zones.values()] == ["Europe/Berlin", "Europe/Berlin", "Europe/Madrid"]
