"""Maintenance windows and the probes: a probe in a window neither alerts nor counts toward
uptime, a window shows on the status page ahead of time, and a probe still failing when the window
ends alerts then."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from handlers.alerts.config import MaintenanceSection, Window
from handlers.status import service as status
from handlers.status.config import Probe, StatusSection
from handlers.status.models import ProbeDay
from handlers.status.probes import CheckResult
from handlers.status_page.config import StatusPageSection
from slackbot.config import Config
from slackbot.testing.endpoint import FlippableEndpoint
from slackbot.testing.harness import Harness
from tests.conftest import Units

PRODUCTION = "CustomersDot production"
STATUS = "s_fulfillment_status"


def test_uptime_leaves_the_window_out_computed_by_hand(units: Units) -> None:
    """Ten checks a minute apart, the last four failing; those four fall in a window. Without the
    window: 6 of 10 passed, 60 %. With it: the four are not counted, 6 of 6, 100 %, and no alert."""
    probe = Probe(name=PRODUCTION, url="http://127.0.0.1:9/", failures_before_alert=2)
    for held in (False, True):
        name = f"{PRODUCTION} {held}"
        alerts = []
        for minute in range(10):
            at = units.now + timedelta(minutes=minute)
            ok = minute < 6
            with units.work() as work:
                result = CheckResult(ok, "" if ok else "HTTP 503", 50, None)
                alerts.append(
                    status.record_check(work, Probe(name, probe.url), result, "C0STATUS1", at, held and not ok)
                )
        with units.db.reading() as session:
            day = session.scalar(select(ProbeDay).where(ProbeDay.probe == name))
        assert day is not None
        assert (day.checks, day.passed) == ((6, 6) if held else (10, 6))
        assert [a is not None for a in alerts].count(True) == (0 if held else 1)


@pytest.fixture
def endpoint() -> Iterator[FlippableEndpoint]:
    server = FlippableEndpoint().start()
    yield server
    server.stop()


@pytest.fixture
def harness(database_url: str, endpoint: FlippableEndpoint) -> Iterator[Harness]:
    config = Config.of(
        StatusSection(probes=[Probe(name=PRODUCTION, url=endpoint.url, failures_before_alert=1)]),
        StatusPageSection(access="public"),
        MaintenanceSection(
            windows=[Window(PRODUCTION, datetime(2026, 11, 23, 10, 0), datetime(2026, 11, 23, 11, 0), "Zuora upgrade")]
        ),
    )
    with Harness(database_url, config) as running:
        yield running


def test_the_status_page_shows_a_window_ahead_and_ongoing(harness: Harness) -> None:
    page = requests.get(harness.url + "/status.json", timeout=10).json()
    assert page["maintenance"] == [
        {
            "service": PRODUCTION,
            "from": "2026-11-23T10:00:00Z",
            "to": "2026-11-23T11:00:00Z",
            "reason": "Zuora upgrade",
            "ongoing": False,
        }
    ]
    html = requests.get(harness.url + "/status", timeout=10).text
    assert '<li class="maintenance planned"><strong>CustomersDot production</strong> (planned, from ' in html
    assert '<time datetime="2026-11-23T10:00:00Z" title="2026-11-23T10:00:00Z">in 2 hours</time>' in html
    harness.clock.advance(timedelta(hours=2, minutes=30))
    assert requests.get(harness.url + "/status.json", timeout=10).json()["maintenance"][0]["ongoing"] is True


def test_a_probe_failing_in_its_window_alerts_only_when_the_window_ends(
    harness: Harness, endpoint: FlippableEndpoint
) -> None:
    endpoint.mode = "error"
    harness.advance(timedelta(hours=2, minutes=1))  # 10:01, in the window
    harness.advance(timedelta(minutes=30))
    assert harness.sim.messages(STATUS) == []
    harness.advance(timedelta(minutes=30))  # 11:01: the window is over
    assert any(PRODUCTION in m["text"] for m in harness.sim.messages(STATUS))
