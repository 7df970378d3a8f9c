"""Charts drawn from data set up here: PNGs of the expected size with something plotted, and the
plain-text fallback and alt text that go with them."""

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib import image

from handlers.incidents import charts as incident_charts
from handlers.incidents.models import Incident
from handlers.questions import charts as questions_charts
from handlers.questions.service import WeekStats
from handlers.standups import charts as standup_charts
from handlers.standups.schedule import Participation
from handlers.status import charts as status_charts
from handlers.status.history import HOUR, Hourly, Tally
from slackbot.charts import Charts, png

BAR = (0xD0 / 255, 0xD7 / 255, 0xDE / 255)
REPLY_LINE = (0x09 / 255, 0x69 / 255, 0xDA / 255)


def pixels(data: bytes) -> Any:
    return image.imread(io.BytesIO(data), format="png")


def share_of(picture: Any, colour: tuple[float, float, float]) -> float:
    return float(np.mean(np.all(np.abs(picture[:, :, :3] - np.array(colour)) < 0.02, axis=2)))


def week(start: date, asked: int, reply_h: float | None) -> WeekStats:
    reply = timedelta(hours=reply_h) if reply_h is not None else None
    return WeekStats(
        start, asked, asked // 2, asked - asked // 2, reply, reply, reply and reply * 3, reply and reply * 4
    )


def test_the_questions_chart_draws_bars_and_reply_lines_at_800_by_400() -> None:
    weeks = [week(date(2026, 11, 23) - timedelta(weeks=k), 10 + 3 * k, 1.5 + k) for k in range(12)]
    data = questions_charts.data(weeks)
    assert data["weeks"][0]["week"] == "2026-09-07" and data["weeks"][-1]["asked"] == 10, "oldest first"
    picture = pixels(png(questions_charts.render(data)))
    assert picture.shape[:2] == (400, 800)
    assert share_of(picture, BAR) > 0.05, "the bars"
    assert share_of(picture, REPLY_LINE) > 0.002, "the first-reply lines"
    assert questions_charts.alt(weeks).startswith("Bar chart of questions asked per week over 12 weeks (318 in all)")


def test_a_chart_of_weeks_without_answers_still_draws_its_bars() -> None:
    weeks = [week(date(2026, 11, 23), 3, None), week(date(2026, 11, 16), 0, None)]
    picture = pixels(png(questions_charts.render(questions_charts.data(weeks))))
    assert picture.shape[:2] == (400, 800) and share_of(picture, BAR) > 0.01
    assert share_of(picture, REPLY_LINE) == 0


def test_charts_are_found_by_name_once() -> None:
    registry = Charts()
    registry.register(questions_charts.NAME, questions_charts.render)
    assert registry.render(questions_charts.NAME, {"weeks": []}).startswith(b"\x89PNG")
    try:
        registry.register(questions_charts.NAME, questions_charts.render)
    except ValueError as exc:
        assert "registered twice" in str(exc)
    else:
        raise AssertionError("a second registration must be refused")


def test_the_incidents_chart_stacks_severities_per_week_with_mtta_and_mttr() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    zone = ZoneInfo("Europe/Madrid")

    def incident(days_ago: int, severity: str, ack_min: int | None, resolve_min: int | None) -> Incident:
        declared = now - timedelta(days=days_ago)
        acked = declared + timedelta(minutes=ack_min) if ack_min is not None else None
        resolved = declared + timedelta(minutes=resolve_min) if resolve_min is not None else None
        return Incident(severity=severity, declared_at=declared, acked_at=acked, resolved_at=resolved)

    found = [incident(1, "sev1", 4, 30), incident(2, "sev2", 10, 60), incident(9, "sev3", None, None)]
    chart = incident_charts.data(found, now, 4, zone)
    assert [w["week"] for w in chart["weeks"]] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert chart["weeks"][-1] == {
        "week": "2026-11-23",
        "sev1": 1,
        "sev2": 1,
        "sev3": 0,
        "mtta_min": 7.0,
        "mttr_min": 45.0,
    }
    assert chart["weeks"][-2]["sev3"] == 1 and chart["weeks"][-2]["mtta_min"] is None
    picture = pixels(png(incident_charts.render(chart)))
    assert picture.shape[:2] == (400, 800)
    assert share_of(picture, (0xCF / 255, 0x22 / 255, 0x2E / 255)) > 0.002, "the sev1 bar"
    assert share_of(picture, REPLY_LINE) > 0.0005, "the MTTA and MTTR markers (one week has them)"


def test_the_status_chart_shows_latency_and_30_days_of_uptime_with_outages_and_incidents() -> None:
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    hour = int(now.timestamp()) // HOUR
    hours = [Hourly(hour - k, Tally(60, 60), 100.0 + 10 * (k % 5)) for k in range(24)]
    days = {date(2026, 11, 23) - timedelta(days=k): Tally(1440, 1440 - 100 * (k == 3)) for k in range(20)}
    outages = {"CustomersDot": {date(2026, 11, 20)}}
    chart = status_charts.data(
        ["CustomersDot"],
        {"CustomersDot": days},
        {"CustomersDot": hours},
        outages,
        {date(2026, 11, 20), date(2026, 9, 1)},
        now,
    )
    [probe] = chart["probes"]
    assert len(probe["days"]) == 30 and probe["days"][-1] == ["2026-11-23", 1.0] and probe["days"][0][1] is None
    assert probe["outages"] == ["2026-11-20"] and chart["incidents"] == ["2026-11-20"], "older ones fall off"
    assert probe["latency"][-1][1] in {100.0, 110.0, 120.0, 130.0, 140.0} and -24 < probe["latency"][-1][0] <= 0
    picture = pixels(png(status_charts.render(chart)))
    assert picture.shape[:2] == (600, 800)
    assert share_of(picture, (0x2D / 255, 0xA4 / 255, 0x4E / 255)) > 0.01, "the days up"
    assert share_of(picture, (0xCF / 255, 0x22 / 255, 0x2E / 255)) > 0.001, "the day with the outage"
    assert share_of(picture, REPLY_LINE) > 0.002, "the latency line"


def test_the_standup_chart_shows_weekly_participation_and_each_persons_streak() -> None:
    weekly = [(date(2026, 11, 16), 8, 10), (date(2026, 11, 23), 9, 9), (date(2026, 11, 30), 0, 0)]
    people = [
        Participation("U1", 10, 9, 1, 0, 9),
        Participation("U2", 10, 5, 0, 5, 0),
        Participation("U3", 0, 0, 0, 0, 0),
    ]
    chart = standup_charts.data(weekly, people, {"U1": "bob", "U2": "vitaly"})
    assert chart["weeks"] == [
        {"week": "2026-11-16", "rate": 0.8},
        {"week": "2026-11-23", "rate": 1.0},
        {"week": "2026-11-30", "rate": None},
    ]
    assert [(p["name"], p["streak"]) for p in chart["people"]] == [("bob", 9), ("vitaly", 0), ("U3", 0)]
    picture = pixels(png(standup_charts.render(chart)))
    assert picture.shape[:2] == (600, 800)
    assert share_of(picture, (0x2D / 255, 0xA4 / 255, 0x4E / 255)) > 0.01, "the bars per person"
    assert share_of(picture, REPLY_LINE) > 0.0005, "the weekly line"
