"""The pure parts of question tracking: keyword rules, percentiles, weeks in the team timezone."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.questions.config import AutoReply
from handlers.questions.service import matching_autoreplies, median, percentile, preview, week_start

pytestmark = pytest.mark.both_databases

RULES = [
    AutoReply(keywords=["license", "grace period"], reply="form"),
    AutoReply(keywords=["urgent"], reply="STAR"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Need a license for a customer", ["form"]),
        ("LICENSE?", ["form"]),
        ("who licensed it", []),
        ("a grace\nperiod extension", ["form"]),
        ("graceperiod", []),
        ("urgent: license renewal", ["form", "STAR"]),
        ("not urgently", []),
        ("", []),
    ],
)
def test_autoreply_keywords_are_whole_words_in_any_case(text: str, expected: list[str]) -> None:
    assert matching_autoreplies(text, RULES) == expected


def test_percentiles_use_the_nearest_rank() -> None:
    minutes = [timedelta(minutes=m) for m in (50, 10, 30, 20, 40, 60, 70, 80, 90, 100)]
    assert percentile(minutes, 0.9) == timedelta(minutes=90)
    assert percentile(minutes, 0.5) == timedelta(minutes=50)
    assert percentile(minutes[:1], 0.9) == timedelta(minutes=50)
    assert percentile([], 0.9) is None
    assert median(minutes) == timedelta(minutes=55)
    assert median([timedelta(minutes=1), timedelta(minutes=3), timedelta(minutes=5)]) == timedelta(minutes=3)
    assert median([]) is None


def test_weeks_start_on_monday_in_the_team_timezone() -> None:
    sunday_night_utc = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert week_start(sunday_night_utc, ZoneInfo("UTC")) == date(2026, 11, 16)
    assert week_start(sunday_night_utc, ZoneInfo("Europe/Madrid")) == date(2026, 11, 23)
    assert week_start(sunday_night_utc, ZoneInfo("America/Los_Angeles")) == date(2026, 11, 16)


def test_previews_are_flat_and_short() -> None:
    assert preview("two\n\nlines  here") == "two lines here"
    long = preview("x" * 500)
    assert len(long) == 200 and long.endswith("…")
