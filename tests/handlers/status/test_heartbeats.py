"""Heartbeats: a scheduled job checks in by ``POST /heartbeat/<name>`` (or a passed pipeline does);
a missed check-in is alerted once like a probe's outage, and the next check-in recovers it. The
harness starts on Monday 2026-11-23 08:00 UTC."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from handlers.status.config import Heartbeat, PipelineMatch, StatusSection
from handlers.status_page.config import StatusPageSection
from slackbot.config import Config
from slackbot.testing.gitlab_payloads import pipeline_hook
from slackbot.testing.harness import Harness

STATUS = "s_fulfillment_status"
TOKEN, HOOK_SECRET = "alerts-token", "hook-secret"
APP = "gitlab-org/customers-gitlab-com"
NIGHTLY = Heartbeat("zuora-sandbox-pipeline", "0 9 * * *", timedelta(hours=1), PipelineMatch("main", "schedule"))
BACKUP = Heartbeat("db-backup", "30 8 * * *", timedelta(minutes=15))


@pytest.fixture
def harness(database_url: str) -> Iterator[Harness]:
    config = Config.of(StatusSection(heartbeats=[NIGHTLY, BACKUP]), StatusPageSection(access="public"))
    with Harness(database_url, config, alerts_token=TOKEN, gitlab_webhook_secret=HOOK_SECRET) as running:
        running.tick()  # the bot starts watching
        yield running


def outage_posts(harness: Harness, name: str) -> list[dict[str, object]]:
    """The heartbeat's outage message (the incident it declares names it too)."""
    starts = (f":red_circle: *Heartbeat {name}", f":large_green_circle: *Heartbeat {name}")
    return [m for m in harness.sim.messages(STATUS) if str(m["text"]).startswith(starts)]


def check_in(harness: Harness, name: str, token: str = TOKEN) -> requests.Response:
    answer = requests.post(f"{harness.url}/heartbeat/{name}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    harness.settle()
    return answer


@pytest.mark.both_databases
def test_a_missed_check_in_alerts_once_and_the_next_check_in_recovers_it(harness: Harness) -> None:
    harness.advance(timedelta(minutes=44))  # 08:44: the 08:30 backup is 14 minutes late, within its grace
    assert outage_posts(harness, "db-backup") == []
    harness.advance(timedelta(minutes=1))
    [alert] = outage_posts(harness, "db-backup")
    assert str(alert["text"]).startswith(":red_circle: *Heartbeat db-backup is down*")
    shown = {p["name"]: p["state"] for p in requests.get(harness.url + "/status.json", timeout=10).json()["probes"]}
    assert shown == {"Heartbeat zuora-sandbox-pipeline": "unknown", "Heartbeat db-backup": "down"}
    assert "no check-in for the one due at 2026-11-23 08:30 UTC (grace 15m)" in str(alert["text"])
    harness.advance(timedelta(minutes=30))
    assert len(outage_posts(harness, "db-backup")) == 1, "alerted once per expected check-in"
    assert check_in(harness, "db-backup").json() == {"message": "checked in"}
    [alert] = outage_posts(harness, "db-backup")
    assert str(alert["text"]).startswith(":large_green_circle: *Heartbeat db-backup recovered*")


def test_a_check_in_in_time_and_a_passed_scheduled_pipeline_keep_them_quiet(harness: Harness) -> None:
    harness.advance(timedelta(minutes=35))  # 08:35: the backup ran at 08:30
    assert check_in(harness, "db-backup").status_code == 200
    harness.advance(timedelta(minutes=55))  # 09:30: the nightly pipeline, scheduled at 09:00, passes
    body = pipeline_hook(APP, 77, "success", ref="main", source="schedule")
    headers = {"X-Gitlab-Token": HOOK_SECRET, "X-Gitlab-Event": "Pipeline Hook"}
    assert requests.post(harness.url + "/gitlab/webhook", json=body, headers=headers, timeout=10).status_code == 200
    harness.settle()
    harness.advance(timedelta(hours=2))  # past 09:00 + 1h for the pipeline, and 08:30 + 15m for the backup
    assert outage_posts(harness, "db-backup") == [] and outage_posts(harness, "zuora-sandbox-pipeline") == []
    harness.advance(timedelta(days=1))  # the next day nobody checked in: both are missed
    assert len(outage_posts(harness, "db-backup")) == 1 and len(outage_posts(harness, "zuora-sandbox-pipeline")) == 1


def test_a_check_in_needs_the_token_and_a_configured_name(harness: Harness) -> None:
    assert check_in(harness, "db-backup", token="wrong").status_code == 401
    assert check_in(harness, "not-configured").status_code == 404
    harness.advance(timedelta(minutes=45))
    assert len(outage_posts(harness, "db-backup")) == 1, "the refused check-in did not count"
