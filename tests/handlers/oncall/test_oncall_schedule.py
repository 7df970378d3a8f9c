"""Who is on call, as pure functions of a rotation and its overrides: a whole rotation, DST, overrides."""

from datetime import UTC, date, datetime, timedelta

import pytest

from handlers import sections
from handlers.oncall.config import OncallSection, Rotation
from handlers.oncall.schedule import Cover, Plan, next_shift_of, on_call, parse_handoff, segments
from slackbot.config import ConfigError, parse_config

JAMES, VITALY, ALICE, BOB = "U0JAMES01", "U0VITALY1", "U0ALICE01", "U0BOB0001"


def weekly(start: date = date(2026, 11, 23), users: tuple[str, ...] = (JAMES, VITALY, ALICE)) -> Plan:
    rotation = Rotation(name="primary", users=list(users), handoff="mon 10:00", start=start, timezone="Europe/Madrid")
    return rotation.plan("UTC")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_a_whole_rotation_goes_round_in_order_and_starts_at_the_handoff() -> None:
    plan = weekly()
    assert on_call(plan, [], utc(2026, 11, 23, 8, 59)) is None, "nobody before the first shift (10:00 Madrid)"
    expected = [JAMES, VITALY, ALICE, JAMES, VITALY, ALICE, JAMES]
    seen = []
    for week in range(7):
        handoff = utc(2026, 11, 23, 9) + timedelta(weeks=week)
        just_before, at = on_call(plan, [], handoff - timedelta(seconds=1)), on_call(plan, [], handoff)
        assert at is not None and at.start == handoff and at.end == handoff + timedelta(weeks=1)
        assert week == 0 or (just_before is not None and just_before.user != at.user)
        seen.append(at.user)
    assert seen == expected
    midweek = on_call(plan, [], utc(2026, 12, 3, 15))
    assert midweek is not None and (midweek.user, midweek.start) == (VITALY, utc(2026, 11, 30, 9))


def test_a_start_date_that_is_not_the_handoff_day_begins_on_the_next_one() -> None:
    plan = weekly(start=date(2026, 11, 25))  # a Wednesday
    first = on_call(plan, [], utc(2026, 11, 30, 9))
    assert on_call(plan, [], utc(2026, 11, 29, 12)) is None
    assert first is not None and first.user == JAMES


def test_handoffs_keep_local_time_across_both_dst_changes() -> None:
    daily = Rotation(
        name="daily", users=[JAMES, VITALY], handoff="10:00", length=timedelta(days=1), start=date(2026, 10, 23)
    ).plan("Europe/Madrid")
    saturday, sunday = on_call(daily, [], utc(2026, 10, 24, 8)), on_call(daily, [], utc(2026, 10, 25, 9))
    assert saturday is not None and saturday.start == utc(2026, 10, 24, 8), "10:00 CEST"
    assert saturday.end == utc(2026, 10, 25, 9) and saturday.end - saturday.start == timedelta(hours=25)
    assert sunday is not None and sunday.start == utc(2026, 10, 25, 9), "10:00 CET, the day the clocks go back"
    assert on_call(daily, [], utc(2026, 10, 25, 8, 30)) == saturday, "09:30 CET is still Saturday's shift"

    spring = weekly(start=date(2027, 3, 22))
    before, after = on_call(spring, [], utc(2027, 3, 22, 9)), on_call(spring, [], utc(2027, 3, 29, 8))
    assert before is not None and before.end == utc(2027, 3, 29, 8), "the week with the change is an hour short"
    assert after is not None and after.user == VITALY and after.start == utc(2027, 3, 29, 8), "10:00 CEST"
    assert on_call(spring, [], utc(2027, 3, 29, 7, 59)) == before


def test_overrides_replace_the_schedule_and_the_newest_one_wins() -> None:
    plan = weekly()
    week = utc(2026, 11, 30, 9)
    covers = [
        Cover(1, BOB, week + timedelta(days=1), week + timedelta(days=3)),
        Cover(2, ALICE, week + timedelta(days=2), week + timedelta(days=2, hours=6)),
    ]
    pieces = segments(plan, covers, week, week + timedelta(weeks=1))
    assert [(p.user, p.start - week, p.end - week, p.override) for p in pieces] == [
        (VITALY, timedelta(0), timedelta(days=1), None),
        (BOB, timedelta(days=1), timedelta(days=2), 1),
        (ALICE, timedelta(days=2), timedelta(days=2, hours=6), 2),
        (BOB, timedelta(days=2, hours=6), timedelta(days=3), 1),
        (VITALY, timedelta(days=3), timedelta(weeks=1), None),
    ]
    covering = on_call(plan, covers, week + timedelta(days=1, hours=5))
    assert covering is not None and (covering.user, covering.start, covering.override) == (
        BOB,
        week + timedelta(days=1),
        1,
    )


def test_a_one_person_rotation_still_has_a_handoff_each_week() -> None:
    plan = weekly(users=(JAMES,))
    pieces = segments(plan, [], utc(2026, 11, 23, 9), utc(2026, 12, 7, 9))
    assert [p.start for p in pieces] == [utc(2026, 11, 23, 9), utc(2026, 11, 30, 9)]
    assert next_shift_of(plan, JAMES, utc(2026, 11, 24)) == plan.shift(1)


def test_handoffs_are_parsed_or_refused() -> None:
    assert parse_handoff("Mon 10:00").weekday == 0 and parse_handoff("10:30").weekday is None
    for bad in ("monday", "mon 25:00", "someday 10:00", "mon10:00", ""):
        with pytest.raises(ValueError, match="is not a handoff"):
            parse_handoff(bad)


def test_check_config_names_every_rotation_problem_with_its_key_path() -> None:
    raw = {
        "oncall": {
            "rotations": [
                {"name": "primary", "users": [JAMES], "handoff": "mon 10:00", "start": "2026-11-30", "length": "1d"},
                {"name": "primary", "users": [], "handoff": "noon", "start": "2026-11-30", "announce": "#eng"},
                {"name": "x", "users": ["james"], "handoff": "10:00", "start": "2026-13-01", "timezone": "Mars/Base"},
            ]
        },
        "incidents": {"escalation": [{"oncall": "secondary", "ack_timeout": "5m"}]},
    }
    with pytest.raises(ConfigError) as failed:
        parse_config(raw, sections())
    problems = failed.value.problems
    assert 'oncall.rotations[2].users[0]: "james" is not a Slack user ID (like U0123ABCD)' in problems
    assert 'oncall.rotations[2].start: "2026-13-01" is not a date (YYYY-MM-DD)' in problems
    assert 'oncall.rotations[2].timezone: "Mars/Base" is not a known timezone' in problems

    del raw["oncall"]["rotations"][2]  # type: ignore[attr-defined]
    with pytest.raises(ConfigError) as failed:
        parse_config(raw, sections())
    assert set(failed.value.problems) == {
        'oncall.rotations[0].handoff: names a weekday, so length must be whole weeks ("1w"); say "10:00" for "1d"',
        "oncall.rotations[1].users: needs at least one Slack user ID",
        'oncall.rotations[1].handoff: "noon" is not a handoff (a weekday and a local time, such as "mon 10:00")',
        'oncall.rotations[1].announce: "#eng" is neither a channel key (questions, announcements, engineering, daily,'
        " status) nor a channel ID",
        'oncall.rotations[1].name: "primary" is used twice',
        'incidents.escalation[0].oncall: "secondary" is not the name of an [[oncall.rotations]] entry',
    }
    good = parse_config({"oncall": {"rotations": [raw["oncall"]["rotations"][0] | {"length": "2w"}]}}, sections())  # type: ignore[index]
    assert good.section(OncallSection).rotations[0].length == timedelta(weeks=2)
