"""The status page: uptime arithmetic, access by token, no names by default, /status.json, the
prune job, and the page in a real headless Chromium. Probe history is set up as rows, as the probe
job records them; the harness starts on Monday 2026-11-23 08:00 UTC."""

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from handlers.incidents.models import Incident, TimelineEntry
from handlers.status.config import Probe, StatusSection
from handlers.status.history import Tally, strip, total, window
from handlers.status.models import ProbeCheck, ProbeDay, ProbeState
from handlers.status.service import check_row, count_day
from handlers.status_page.config import StatusPageSection
from slackbot.config import Config, Person
from slackbot.testing.harness import TEAM, Harness
from tests.conftest import Units

pytestmark = pytest.mark.both_databases

JAMES, ALICE = TEAM[0].id, TEAM[2].id
TOKEN = "status-page-token-0123456789"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TODAY = NOW.date()
ARTEFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
PROBES = StatusSection(
    probes=[
        Probe(name="CustomersDot production", url="http://127.0.0.1:9/-/liveness"),
        Probe(name="CustomersDot staging", url="http://127.0.0.1:9/-/staging"),
    ]
)


def config(**page: Any) -> Config:
    return Config.of(PROBES, StatusPageSection(**page), people=[Person(slack=p.id) for p in TEAM])


def test_uptime_is_the_share_of_checks_passed_and_days_without_checks_do_not_count() -> None:
    assert Tally(0, 0).uptime is None and Tally(4, 3).uptime == 0.75
    days = {
        TODAY: Tally(1440, 1440),
        TODAY - timedelta(days=1): Tally(1440, 720),
        TODAY - timedelta(days=9): Tally(10, 0),
    }
    assert window(days, TODAY, 7) == Tally(2880, 2160) and window(days, TODAY, 7).uptime == 0.75
    assert window(days, TODAY, 90) == Tally(2890, 2160)
    assert window({}, TODAY, 7).uptime is None
    bars = strip(days, TODAY)
    assert len(bars) == 90 and bars[0][0] == TODAY - timedelta(days=89) and bars[-1] == (TODAY, Tally(1440, 1440))
    assert bars[-3] == (TODAY - timedelta(days=2), Tally(0, 0)), "a day without checks has no uptime"
    assert total([]) == Tally(0, 0)


def record(session: sa.orm.Session, checks: list[ProbeCheck]) -> None:
    """As the probe job records checks: the rows and their days' tallies (counted here in one pass;
    ``count_day`` is tested with the probes)."""
    session.add_all(checks)
    days: dict[tuple[str, date], list[bool]] = {}
    for check in checks:
        days.setdefault((check.probe, check.day), []).append(check.ok)
    session.add_all(ProbeDay(probe=p, day=d, checks=len(oks), passed=sum(oks)) for (p, d), oks in days.items())


def seed(database_url: str) -> None:
    """Three days of production checks (one failing hour yesterday), staging never checked, an
    open incident with a status update naming people, and one resolved last week."""
    engine = sa.create_engine(database_url)
    with sa.orm.Session(engine) as session, session.begin():
        checks = []
        for minutes in range(0, 3 * 24 * 60, 10):
            at = NOW - timedelta(minutes=minutes)
            failing = timedelta(hours=20) <= NOW - at < timedelta(hours=21)
            checks.append(check_row("CustomersDot production", at, not failing, 120 + minutes % 50))
        checks.append(check_row("CustomersDot production", NOW - timedelta(days=200), True, 100))
        record(session, checks)
        session.add(
            ProbeState(
                name="CustomersDot production",
                next_check_at=NOW,
                last_checked_at=NOW,
                last_ok=True,
                consecutive_failures=0,
                cert_warned_days=[],
            )
        )
        common = {"source": "command", "channel_id": "C0STATUS1", "policy": {"repeat": 0, "levels": []}}
        session.add(
            Incident(
                id=1,
                summary=f"Checkout returns 500 for <@{ALICE}>",
                severity="sev1",
                state="acknowledged",
                declared_by=ALICE,
                declared_at=NOW - timedelta(hours=2),
                lead=JAMES,
                **common,
            )
        )
        session.add(
            Incident(
                id=2,
                summary="Trials did not start",
                severity="sev3",
                state="resolved",
                declared_by=JAMES,
                declared_at=NOW - timedelta(days=6),
                resolved_at=NOW - timedelta(days=5),
                **common,
            )
        )
        session.flush()
        session.add(
            TimelineEntry(
                incident_id=1,
                at=NOW - timedelta(hours=1),
                kind="update",
                actor=JAMES,
                text=f"<@{JAMES}> is failing over to the EU region with @vitaly (mail ops@example.com)",
            )
        )
    engine.dispose()


@pytest.fixture
def page(database_url: str) -> Iterator[Harness]:
    with Harness(database_url, config(), status_page_token=TOKEN) as harness:
        seed(database_url)
        yield harness


def test_the_page_needs_its_token_and_sets_a_cookie_from_it(page: Harness) -> None:
    for path in ("/status", "/status.json"):
        refused = requests.get(page.url + path, timeout=10)
        assert refused.status_code == 401 and b"CustomersDot" not in refused.content
        assert requests.get(page.url + path, params={"token": TOKEN[:-1]}, timeout=10).status_code == 401
        assert requests.get(page.url + path, cookies={"fulfillbot_status": "guess"}, timeout=10).status_code == 401
    opened = requests.get(page.url + "/status", params={"token": TOKEN}, timeout=10)
    assert opened.status_code == 200 and opened.headers["Content-Type"].startswith("text/html")
    set_cookie = opened.headers["Set-Cookie"]
    assert all(flag in set_cookie for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Max-Age=2592000"))
    assert TOKEN not in set_cookie, "the cookie is not the token"
    cookie = {"fulfillbot_status": opened.cookies["fulfillbot_status"]}
    again = requests.get(page.url + "/status.json", cookies=cookie, timeout=10)
    assert again.status_code == 200 and again.json()["probes"][0]["name"] == "CustomersDot production"
    assert requests.get(page.url + "/status", cookies={"fulfillbot_status": TOKEN}, timeout=10).status_code == 401
    policy = opened.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src 'sha256-" in policy
    assert (opened.headers["X-Content-Type-Options"], opened.headers["X-Frame-Options"]) == ("nosniff", "DENY")
    assert opened.headers["Referrer-Policy"] == "no-referrer", "the token in the address goes nowhere"
    page.clock.advance(timedelta(days=30, seconds=1))
    assert requests.get(page.url + "/status", cookies=cookie, timeout=10).status_code == 401, "it expires"


def test_without_a_configured_token_the_page_stays_shut(database_url: str) -> None:
    with Harness(database_url, config()) as harness:
        assert requests.get(harness.url + "/status", params={"token": ""}, timeout=10).status_code == 401


def test_status_json_has_states_uptime_strip_latency_and_incidents_without_names(page: Harness) -> None:
    document = requests.get(page.url + "/status.json", params={"token": TOKEN}, timeout=10).json()
    production, staging = document["probes"]
    assert production["state"] == "up" and staging["state"] == "unknown"
    checks = 3 * 24 * 6
    assert production["uptime"]["90d"] == round((checks - 6) / checks, 6), "the failing hour: 6 checks failed"
    assert production["uptime"]["7d"] == production["uptime"]["90d"]
    in_24_hours = 23 * 6 + 1  # the clock hours from 09:00 yesterday to 08:00 now
    assert production["uptime"]["24h"] == round((in_24_hours - 6) / in_24_hours, 6)
    days = production["days"]
    assert len(days) == 90 and days[-1]["day"] == "2026-11-23" and days[-1]["checks"] == 49, "00:00 to 08:00"
    assert days[-2] == {"day": "2026-11-22", "checks": 144, "uptime": round(138 / 144, 6)}
    assert days[0] == {"day": "2026-08-26", "checks": 0, "uptime": None}
    assert staging["uptime"] == {"24h": None, "7d": None, "90d": None} and staging["latency_24h"] == []
    assert 20 <= len(production["latency_24h"]) <= 25 and all(p["ms"] >= 120 for p in production["latency_24h"])
    [open_one] = document["incidents"]["open"]
    assert open_one["summary"] == "Checkout returns 500 for someone" and "lead" not in open_one
    assert open_one["last_update"]["text"] == (
        "someone is failing over to the EU region with someone (mail ops@example.com)"
    ), "a handle typed as text names nobody either"
    assert [i["id"] for i in document["incidents"]["resolved"]] == [2]
    raw = str(document)
    assert "james" not in raw and "alice" not in raw and "vitaly" not in raw and "U0" not in raw, "nobody is named"


def test_show_people_names_the_lead_and_mentions(database_url: str) -> None:
    with Harness(database_url, config(access="public", show_people=True)) as harness:
        seed(database_url)
        harness.tick()  # reads the Slack profiles, and so the names
        document = requests.get(harness.url + "/status.json", timeout=10).json()
    [open_one] = document["incidents"]["open"]
    assert open_one["lead"] == "james" and open_one["summary"] == "Checkout returns 500 for @alice"
    assert open_one["last_update"]["text"].endswith("with @vitaly (mail ops@example.com)")


def test_checks_older_than_the_retention_are_pruned(page: Harness, database_url: str) -> None:
    engine = sa.create_engine(database_url)
    oldest = sa.select(sa.func.min(ProbeCheck.day))
    with engine.connect() as connection:
        assert connection.scalar(oldest) == date(2026, 5, 7)
    page.tick()
    with engine.connect() as connection:
        assert connection.scalar(oldest) == date(2026, 11, 20), "200 days old: past the 90 days kept"
    engine.dispose()


def chromium_driver() -> Any:
    """Debian's Chromium and ChromeDriver (``.ci/run`` installs them); the reason when they are missing."""
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    if missing:
        pytest.skip(f"no {' and no '.join(missing)} on this machine (Debian packages chromium, chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1100,1400",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)


@pytest.mark.slow
def test_the_page_renders_its_strip_states_and_incidents_in_headless_chromium(page: Harness) -> None:
    browser = chromium_driver()
    try:
        browser.get(f"{page.url}/status?token={TOKEN}")
        probes = browser.find_elements("css selector", "section.probe")
        assert [p.get_attribute("data-state") for p in probes] == ["up", "unknown"]
        bars = probes[0].find_elements("css selector", ".strip .bar")
        assert len(bars) == 90
        assert bars[-2].value_of_css_property("background-color") == "rgba(227, 179, 65, 1)", "95.8%: degraded"
        assert bars[0].value_of_css_property("background-color") == "rgba(208, 215, 222, 1)", "no data"
        assert bars[-2].size["height"] > 20 and bars[-2].size["width"] >= 3
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(browser).move_to_element(bars[-2]).perform()
        assert probes[0].find_element("css selector", ".detail").text == "2026-11-22: 95.83% of 144 checks"
        assert "Checkout returns 500 for someone" in browser.find_element("id", "open-incidents").text
        assert "Trials did not start" in browser.find_element("id", "resolved-incidents").text
        ARTEFACTS.mkdir(exist_ok=True)
        shot = ARTEFACTS / f"status-page-{os.getpid()}.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        print(f"status page screenshot: {shot}")
    finally:
        browser.quit()


def test_each_check_is_counted_in_its_days_tally(units: Units) -> None:
    with units.work() as work:
        for minutes, ok in ((0, True), (10, False), (20, True), (60 * 24, True)):
            check = check_row("CustomersDot production", NOW - timedelta(minutes=minutes), ok, 100)
            work.session.add(check)
            count_day(work.session, check)
            work.session.flush()
    with units.db.reading() as session:
        tallies = {(d.day, d.checks, d.passed) for d in session.scalars(sa.select(ProbeDay))}
    assert tallies == {(NOW.date(), 3, 2), (NOW.date() - timedelta(days=1), 1, 1)}
