import json
import os
import time
from urllib.parse import urlencode

import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from slackbot.testing.harness import SIGNING_SECRET, TEAM, Harness

JAMES = TEAM[0].id


def test_healthz_answers_when_the_database_does(harness: Harness) -> None:
    response = requests.get(harness.url + "/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] is True
    holder = harness.bot.ctx.scheduler.lease.holder
    shown = str(response.json()["scheduler_lease_holder"])
    assert len(shown) == 16 and holder not in response.text and str(os.getpid()) not in response.text, (
        "the lease holder is shown as a digest: no host name or PID for anyone to read"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["X-Frame-Options"] == "DENY"


def test_healthz_is_503_when_the_database_does_not_answer(harness: Harness) -> None:
    harness.bot.ctx.db.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    response = requests.get(harness.url + "/healthz", timeout=30)
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_metrics_are_prometheus_text(harness: Harness) -> None:
    harness.driver.command(JAMES, "/fulfillment", "help")
    requests.get(harness.url + "/healthz", timeout=10)
    response = requests.get(harness.url + "/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.text
    assert 'fulfillbot_http_requests_total{route="/slack/events",status="200"} 1.0' in text
    assert 'fulfillbot_http_requests_total{route="/healthz",status="200"} 1.0' in text
    assert 'fulfillbot_handler_seconds_count{kind="slash_command"} 1.0' in text
    assert 'fulfillbot_parked{store="outbox"} 0.0' in text
    for name in (
        "fulfillbot_events_deduplicated",
        "fulfillbot_scheduler_lease_holder",
        "fulfillbot_slack_api_errors",
        "fulfillbot_inbox_received",
        "fulfillbot_outbox_delivered",
        "fulfillbot_outbox_rate_limited",
        "fulfillbot_parked",
    ):
        assert f"# TYPE {name}" in text


def test_unsigned_and_stale_requests_are_401(harness: Harness) -> None:
    body = "command=%2Ffulfillment&text=help&user_id=" + JAMES
    unsigned = requests.post(
        harness.url + "/slack/events",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert unsigned.status_code == 401
    stale = harness.driver.send(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60)
    assert stale.status_code == 401
    forged_headers = dict(harness.driver.signed_headers(body))
    forged_headers["X-Slack-Signature"] = "v0=" + "0" * 64
    forged = requests.post(
        harness.url + "/slack/events",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **forged_headers},
        timeout=10,
    )
    assert forged.status_code == 401
    assert harness.sim.ephemerals_for(JAMES) == []


def test_slack_url_verification_is_answered(harness: Harness) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"})
    response = harness.driver.send(body, "application/json")
    assert response.status_code == 200
    assert "abc123" in response.text
    assert SIGNING_SECRET not in response.text


def test_unknown_routes_and_methods(harness: Harness) -> None:
    assert requests.get(harness.url + "/nope", timeout=10).status_code == 404
    assert requests.get(harness.url + "/slack/events", timeout=10).status_code == 405
    assert requests.post(harness.url + "/healthz", timeout=10).status_code == 405


def test_gitlab_webhook_is_404_without_a_secret(harness: Harness) -> None:
    response = requests.post(harness.url + "/gitlab/webhook", json={"object_kind": "pipeline"}, timeout=10)
    assert response.status_code == 404


def test_gitlab_webhook_checks_its_token_and_body(database_url: str) -> None:
    with Harness(database_url, gitlab_webhook_secret="hook-secret") as harness:
        url = harness.url + "/gitlab/webhook"
        assert requests.post(url, json={"object_kind": "pipeline"}, timeout=10).status_code == 401
        wrong = requests.post(url, json={"object_kind": "pipeline"}, headers={"X-Gitlab-Token": "nope"}, timeout=10)
        assert wrong.status_code == 401
        garbage = requests.post(url, data=b"\x00not json", headers={"X-Gitlab-Token": "hook-secret"}, timeout=10)
        assert garbage.status_code == 400
        unknown = requests.post(
            url, json={"object_kind": "wiki_page"}, headers={"X-Gitlab-Token": "hook-secret"}, timeout=10
        )
        assert unknown.status_code == 400
        assert "wiki_page" in unknown.json()["message"]


def test_a_command_while_the_database_is_down_is_answered_not_500(harness: Harness) -> None:
    """The replay check needs the database; when it cannot answer, the command goes on (here, help,
    which needs nothing more) instead of failing with a 500."""
    unreachable = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    harness.bot.ctx.db.engine = unreachable
    harness.bot.ctx.db._sessions = sessionmaker(unreachable)  # writes fail too
    form = {"team_id": harness.sim.team_id, "user_id": JAMES, "command": "/fulfillment", "text": "help"}
    body = urlencode({**form, "channel_id": "C0X", "trigger_id": "t", "response_url": ""})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **harness.driver.signed_headers(body)}
    answered = harness.driver.post(body, headers)  # not settled: the outbox cannot be read either
    assert answered.status_code == 200
    assert answered.json()["text"].startswith("*/fulfillment*")
