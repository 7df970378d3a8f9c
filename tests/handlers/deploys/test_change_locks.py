"""Production change locks: the DRIs are told a day ahead, the PCL issue (from the project's ``Pcl``
template) and the production::blocker come at ``from``, both are closed at ``to``; each once, across
a restart; `Expedite` during a lock needs an admin. The harness starts on Monday 2026-11-23 08:00 UTC."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from handlers.deploys.config import ChangeLock, DeploysSection
from handlers.incidents.config import EscalationLevel, IncidentsSection
from handlers.status_page.config import StatusPageSection
from slackbot.config import Config, SlackSection
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.harness import TEAM, Harness
from tests.handlers.deploys.test_train import APP, pipeline, ride

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
STATUS = "s_fulfillment_status"
LOCK = ChangeLock("End-of-year PCL", datetime(2026, 11, 24, 0, 0), datetime(2026, 11, 25, 9, 0), [JAMES])
CONFIG = Config.of(
    IncidentsSection(escalation=[EscalationLevel(users=[JAMES], ack_timeout=timedelta(minutes=5))]),
    DeploysSection(maintainers=[VITALY], change_locks=[LOCK]),
    StatusPageSection(access="public"),
    slack=SlackSection(admins=[ADMIN]),
)


@pytest.fixture
def harness(database_url: str, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    gitlab_server.add_issue_template(APP, "Pcl", "## Checklist\n\n- [ ] Tell #s_fulfillment")
    settings = {
        "gitlab_url": gitlab_server.base_url,
        "gitlab_token": gitlab_server.token,
        "gitlab_webhook_secret": "hook-secret",
    }
    with Harness(database_url, CONFIG, **settings) as running:
        yield running


def reminders(harness: Harness) -> list[str]:
    return [m["text"] for m in harness.sim.dms(JAMES) if "Production change lock" in m["text"]]


def issues(gitlab: FakeGitLab) -> list[dict[str, Any]]:
    return gitlab.issues[APP]


@pytest.mark.both_databases
def test_a_lock_reminds_opens_and_lifts_once_across_a_restart(harness: Harness, gitlab_server: FakeGitLab) -> None:
    harness.tick()
    harness.tick()
    [reminder] = reminders(harness)
    assert reminder.startswith(":lock: Production change lock *End-of-year PCL* starts <!date^")
    harness.advance(timedelta(hours=16))  # 2026-11-24 00:00: the lock starts
    blocker, pcl = issues(gitlab_server)
    assert (
        blocker["labels"] == ["production::blocker"] and "Production change lock: End-of-year PCL" in blocker["title"]
    )
    assert pcl["title"] == "PCL: End-of-year PCL"
    assert pcl["description"].startswith(
        "## Checklist\n\n- [ ] Tell #s_fulfillment\n\n## End-of-year PCL\n\n- From: 2026-11-24 00:00 UTC"
    )
    harness.restart()
    harness.advance(timedelta(hours=1))
    assert len(issues(gitlab_server)) == 2 and len(reminders(harness)) == 1, "nothing twice after a restart"
    harness.advance(timedelta(hours=32))  # 2026-11-25 09:00: it ends
    assert [i["state"] for i in issues(gitlab_server)] == ["closed", "closed"]
    harness.advance(timedelta(hours=1))
    assert len(issues(gitlab_server)) == 2


def test_expedite_during_a_lock_needs_an_admin(harness: Harness, gitlab_server: FakeGitLab) -> None:
    harness.clock.advance(timedelta(hours=17))  # in the lock, its steps not taken (no tick): no blocker open yet
    pipeline_id, jobs = pipeline(gitlab_server, production="scheduled")
    ride(harness, pipeline_id, jobs, 3)
    harness.driver.click(VITALY, "Expedite", channel=STATUS)
    assert harness.sim.ephemerals_for(VITALY)[-1]["text"].startswith(
        "Only an admin may expedite a deploy train during a production change lock."
    )
    harness.driver.click(ADMIN, "Expedite", channel=STATUS)
    assert gitlab_server.played == [(APP, jobs[2])]


def test_the_status_page_shows_a_lock_ahead_then_ongoing(harness: Harness) -> None:
    page = requests.get(harness.url + "/status.json", timeout=10).json()
    assert page["change_locks"] == [
        {"name": "End-of-year PCL", "from": "2026-11-24T00:00:00Z", "to": "2026-11-25T09:00:00Z", "ongoing": False}
    ]
    assert (
        "<strong>End-of-year PCL</strong> (planned, from <time"
        in requests.get(harness.url + "/status", timeout=10).text
    )
    harness.clock.advance(timedelta(hours=17))
    assert requests.get(harness.url + "/status.json", timeout=10).json()["change_locks"][0]["ongoing"] is True
    harness.clock.advance(timedelta(days=2))
    assert requests.get(harness.url + "/status.json", timeout=10).json()["change_locks"] == []
