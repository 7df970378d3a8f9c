"""``GET /oncall.ics``: the rotations' shifts, overrides included, as an iCalendar feed behind the
status page's token; and the RFC 5545 text rules it keeps (escaping, 75-octet lines, CRLF)."""

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import requests

from handlers.oncall.calendar import feed
from handlers.oncall.config import OncallSection, Rotation
from handlers.oncall.schedule import Segment
from handlers.status_page.config import StatusPageSection
from slackbot.config import Config, Person, SlackSection
from slackbot.testing.harness import TEAM, Harness

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
TOKEN = "status-page-token-0123456789"
PRIMARY = Rotation(name="primary", users=[JAMES, VITALY], handoff="mon 10:00", start=date(2026, 11, 23), timezone="UTC")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_text_is_escaped_and_lines_are_folded_at_75_octets_with_crlf() -> None:
    segment = Segment(JAMES, datetime(2026, 11, 23, 10, tzinfo=UTC), datetime(2026, 11, 30, 10, tzinfo=UTC))
    text = feed([("core; billing, \\ ops " + "é" * 60, segment)], {JAMES: "James"}, NOW)
    assert text.endswith("END:VCALENDAR\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:core\\; billing\\, \\\\ ops " + "é" * 60 + ": James on call\r\n" in unfolded
    assert "DTSTART:20261123T100000Z\r\nDTEND:20261130T100000Z\r\n" in unfolded


def harness_for(database_url: str, **page: object) -> Harness:
    config = Config.of(
        OncallSection([PRIMARY]),
        StatusPageSection(**page),  # type: ignore[arg-type]
        slack=SlackSection(admins=[ADMIN]),
        people=[Person(slack=p.id) for p in TEAM],
    )
    return Harness(database_url, config, status_page_token=TOKEN)


@pytest.fixture
def harness(database_url: str) -> Iterator[Harness]:
    with harness_for(database_url) as running:
        running.tick()  # the people's names are read from Slack
        yield running


def test_the_feed_needs_the_token_and_shows_shifts_and_overrides_by_name(harness: Harness) -> None:
    assert requests.get(harness.url + "/oncall.ics", timeout=10).status_code == 401
    assert requests.get(harness.url + "/oncall.ics?token=wrong", timeout=10).status_code == 401
    harness.driver.command(JAMES, "/oncall", f"override primary <@{VITALY}> 2026-11-24 2026-11-24")
    answer = requests.get(harness.url + "/oncall.ics?token=" + TOKEN, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = answer.text.replace("\r\n ", "")
    summaries = [line for line in body.split("\r\n") if line.startswith(("SUMMARY", "DTSTART"))]
    assert summaries[:6] == [
        "DTSTART:20261123T100000Z",
        "SUMMARY:primary: james on call",
        "DTSTART:20261124T000000Z",
        "SUMMARY:primary: vitaly on call (override)",
        "DTSTART:20261125T000000Z",
        "SUMMARY:primary: james on call",
    ]


def test_a_public_page_opens_the_feed_without_names_unless_it_shows_people(database_url: str) -> None:
    with harness_for(database_url, access="public") as harness:
        harness.tick()
        body = requests.get(harness.url + "/oncall.ics", timeout=10).text
        assert "SUMMARY:primary: someone on call" in body and "james" not in body
        assert (
            "SUMMARY:primary: james on call"
            in requests.get(harness.url + f"/oncall.ics?token={TOKEN}", timeout=10).text
        )
