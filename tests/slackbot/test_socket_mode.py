"""``fulfillbot run`` with ``SLACK_APP_TOKEN``: Slack over the simulator's Socket Mode WebSocket.

Events, a slash command, a button and a modal arrive as envelopes; every one is acknowledged
within Slack's 3 s (the driver raises ``AnsweredLate`` otherwise), across a refresh and a dropped
connection too. HTTP still serves /healthz, /metrics and /gitlab/webhook on $PORT, and SIGTERM
stops the process cleanly, handing the scheduler lease over at once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from slackbot.testing.gitlab_payloads import pipeline_hook
from slackbot.testing.harness import ASKER, TEAM
from slackbot.testing.slack_sim import SlackSimulator
from slackbot.testing.socket_link import ACK_DEADLINE
from tests.processes import running_bot, wait_for

pytestmark = pytest.mark.slow

JAMES, VITALY = TEAM[0].id, TEAM[1].id
QUESTIONS, DAILY, ENGINEERING = "s_fulfillment", "s_fulfillment_daily", "s_fulfillment_engineering"
CONFIG = """
[scheduler]
tick = "1s"

[[questions.autoreplies]]
keywords = ["license"]
reply = "Use the internal request form."
"""


def lease(database_url: str) -> tuple[str | None, object]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT holder, expires_at FROM scheduler_lease")).one_or_none()
            return (row[0], row[1]) if row else (None, None)
    finally:
        engine.dispose()


def test_socket_mode_serves_events_commands_buttons_and_modals(
    sim: SlackSimulator, database_url: str, tmp_path: Path
) -> None:
    with running_bot(sim, database_url, tmp_path, CONFIG, socket_mode=True) as bot:
        link, driver = sim.socket_link, bot.driver
        assert link.open_connections() == 1

        asked = driver.say(ASKER.id, QUESTIONS, "How do I extend a license?")
        wait_for(lambda: bool(sim.replies(QUESTIONS, asked["ts"])), "the auto-reply")
        assert [m["text"] for m in sim.replies(QUESTIONS, asked["ts"])] == ["Use the internal request form."]

        driver.command(JAMES, "/standup", "help", channel=DAILY)
        assert sim.ephemerals_for(JAMES)[-1]["text"].startswith("*/standup*"), "the ack's payload is shown"

        driver.command(JAMES, "/standup", channel=DAILY)
        wait_for(lambda: bool(driver.open_views(JAMES)), "the standup form")
        [form] = driver.open_views(JAMES)
        submitted = driver.submit(JAMES, form["id"], {"q0": "Fixed the renewal job", "q1": "Reviews", "q2": ""})
        assert submitted.text == "", "acknowledged without errors: the form closes"
        wait_for(lambda: len(sim.messages(DAILY)) == 1, "the standup thread")
        wait_for(lambda: len(sim.replies(DAILY, sim.messages(DAILY)[0]["ts"])) == 1, "the answers in it")

        driver.command(VITALY, "/pair", "Untangling the Zuora sync", channel=ENGINEERING)
        wait_for(lambda: len(sim.messages(ENGINEERING)) == 1, "the pair request")
        driver.click(JAMES, "I'll pair", channel=ENGINEERING)
        wait_for(lambda: "Claimed by" in sim.messages(ENGINEERING)[0]["text"], "the claim")

        stale = {"ts": "1.000001", "blocks": [_button("an_action_from_an_old_version", "Old button")]}
        driver.click(JAMES, "Old button", channel=ENGINEERING, seen=stale)
        driver.command(JAMES, "/no-such-command", "x", channel=ENGINEERING)
        assert link.refused_acks == [], "every envelope was acknowledged once, by its envelope_id"
        assert max(link.ack_delays()) < ACK_DEADLINE


def test_a_refresh_or_a_dropped_connection_acknowledges_every_envelope_in_time(
    sim: SlackSimulator, database_url: str, tmp_path: Path
) -> None:
    with running_bot(sim, database_url, tmp_path, CONFIG, socket_mode=True) as bot:
        link, driver = sim.socket_link, bot.driver
        for round_number in range(1, 4):
            link.disconnect("refresh_requested")
            asked = driver.say(ASKER.id, QUESTIONS, f"License question {round_number}, right after a refresh")
            wait_for(lambda asked=asked: bool(sim.replies(QUESTIONS, asked["ts"])), "the auto-reply")
            assert link.connections_opened >= 1 + round_number, "a new connection for each refresh"
            wait_for(lambda: link.open_connections() == 1, "the old connection closed: none is left open")
        link.drop()
        asked = driver.say(ASKER.id, QUESTIONS, "License question after the network dropped the connection")
        wait_for(lambda: bool(sim.replies(QUESTIONS, asked["ts"])), "the auto-reply")
        assert driver.retried == [], "no event needed Slack's redelivery"
        assert max(link.ack_delays()) < ACK_DEADLINE, link.ack_delays()


def test_http_routes_are_served_on_port_in_socket_mode(sim: SlackSimulator, database_url: str, tmp_path: Path) -> None:
    with running_bot(sim, database_url, tmp_path, CONFIG, socket_mode=True) as bot:
        assert requests.get(bot.url + "/healthz", timeout=5).json()["status"] == "ok"
        assert "fulfillbot_http_requests_total" in requests.get(bot.url + "/metrics", timeout=5).text
        body = pipeline_hook("gitlab-org/customers-gitlab-com", 7001, "failed", "main", "push", None)
        wrong = requests.post(bot.url + "/gitlab/webhook", json=body, headers={"X-Gitlab-Token": "no"}, timeout=5)
        assert wrong.status_code == 401
        right = {"X-Gitlab-Token": "hook-secret-value"}
        accepted = requests.post(bot.url + "/gitlab/webhook", json=body, headers=right, timeout=5)
        assert accepted.status_code == 200 and accepted.json()["message"] == "accepted"
        assert requests.post(bot.url + "/slack/events", data="{}", timeout=5).status_code == 401


def test_sigterm_stops_cleanly_and_hands_the_lease_over_in_both_modes(
    sim: SlackSimulator, database_url: str, tmp_path: Path
) -> None:
    for socket_mode in (True, False):
        with running_bot(sim, database_url, tmp_path, CONFIG, socket_mode=socket_mode) as bot:
            wait_for(lambda: lease(database_url)[0] is not None, "the scheduler lease taken")
            asked = bot.driver.say(ASKER.id, QUESTIONS, f"A license question (socket mode: {socket_mode})")
            stopped_at = time.time()
            status = bot.stop()
            log = bot.log.read_text()
        assert status == 0, log
        assert "Traceback" not in log, log
        holder, expires_at = lease(database_url)
        assert str(expires_at).startswith("1970"), f"released at once, not left to expire: {holder} {expires_at}"
        assert time.time() - stopped_at < 15
        assert sim.replies(QUESTIONS, asked["ts"]) or _pending(database_url, asked["ts"]) == 1, (
            "sent, or left due for the next"
        )
        if socket_mode:
            assert sim.socket_link.open_connections() == 0


def _pending(database_url: str, thread_ts: str) -> int:
    """Pending outbox rows that answer in the thread of ``thread_ts`` (each stop leaves its own)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            query = "SELECT count(*) FROM outbox WHERE state = 'pending' AND CAST(args AS TEXT) LIKE :ts"
            return int(conn.execute(sa.text(query), {"ts": f"%{thread_ts}%"}).scalar_one())
    finally:
        engine.dispose()


def _button(action_id: str, text: str) -> dict[str, object]:
    return {
        "type": "actions",
        "block_id": "old",
        "elements": [{"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}}],
    }


def test_unknown_envelopes_and_bad_json_are_acknowledged_or_ignored(
    sim: SlackSimulator, database_url: str, tmp_path: Path
) -> None:
    with running_bot(sim, database_url, tmp_path, CONFIG, socket_mode=True) as bot:
        link = sim.socket_link
        assert link.deliver("some_future_type", {"x": 1}).ack == {}
        assert link.deliver("interactive", {"type": "block_actions", "actions": "not a list"}).ack is not None
        assert link.deliver("events_api", {"type": "event_callback", "event": 0}).ack is not None
        asked = bot.driver.say(ASKER.id, QUESTIONS, "Still a license question")
        wait_for(lambda: bool(sim.replies(QUESTIONS, asked["ts"])), "the bot still answers")
        assert json.dumps(link.refused_acks) == "[]"
