from datetime import timedelta

import pytest

from slackbot.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("0s", timedelta(0)),
        (" 15S ", timedelta(seconds=15)),
    ],
)
def test_parses_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5x", "m5", "1.5h", "-5m", "5 m", "soon", "5m trailing"])
def test_rejects_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_rejects_non_strings() -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(300)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=5, seconds=10), "5m 10s"),
        (timedelta(minutes=5), "5m"),
        (timedelta(hours=2, minutes=5), "2h 5m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=3, hours=4, minutes=30), "3d 4h"),
        (timedelta(days=1, minutes=5), "1d"),
        (timedelta(seconds=-3), "0s"),
    ],
)
def test_formats_durations_for_people(delta: timedelta, expected: str) -> None:
    assert format_duration(delta) == expected
