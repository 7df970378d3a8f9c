"""What people told the bot is never lost and never doubled, as ``fulfillbot run`` meets Slack's
outages, its rate limits, a kill -9 mid-delivery and a second replica.

Real processes and real time (ticks of 1 s): the processes are under test here; the logic's
timing is tested with the fake clock elsewhere.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from slackbot.testing.harness import ASKER, TEAM
from slackbot.testing.slack_sim import SlackSimulator
from tests.processes import running_bot, wait_for

pytestmark = pytest.mark.slow

JAMES, VITALY, ALICE = TEAM[0].id, TEAM[1].id, TEAM[2].id
SAM = ASKER.id
QUESTIONS, DAILY, STATUS, ENGINEERING = (
    "s_fulfillment",
    "s_fulfillment_daily",
    "s_fulfillment_status",
    "s_fulfillment_engineering",
)
CONFIG = """
[scheduler]
tick = "1s"

[[people]]
slack = "U0JAMES01"
timezone = "UTC"

[[questions.autoreplies]]
keywords = ["license"]
reply = "Use the internal request form."

[incidents]
repeat = 0

[[incidents.escalation]]
users = ["U0JAMES01", "U0VITALY1"]
ack_timeout = "5m"
"""


def scalar(database_url: str, query: str) -> Any:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query)).scalar()
    finally:
        engine.dispose()


def timed(action: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def thread_of(sim: SlackSimulator, channel: str, ts: str) -> list[str]:
    return [m["text"] for m in sim.replies(channel, ts)]


def test_a_slack_outage_loses_nothing_and_doubles_nothing(
    sim: SlackSimulator, database_url: str, tmp_path: Path
) -> None:
    with running_bot(sim, database_url, tmp_path, CONFIG) as bot:
        driver = bot.driver
        earlier = driver.say(SAM, QUESTIONS, "Where is the CustomersDot runbook?")
        wait_for(lambda: scalar(database_url, "SELECT count(*) FROM questions") == 1, "the first question tracked")
        driver.command(JAMES, "/standup", channel=DAILY)
        [form] = driver.open_views(JAMES)
        driver.command(ALICE, "/pair", "Untangling the Zuora sync", channel=ENGINEERING)
        wait_for(lambda: len(sim.messages(ENGINEERING)) == 1, "the pair request posted")

        sim.outage(20)
        during: list[float] = []
        asked, took = timed(lambda: driver.say(SAM, QUESTIONS, "How do I extend a customer's license?"))
        during.append(took)
        during.append(timed(lambda: driver.react(SAM, QUESTIONS, earlier["ts"], "white_check_mark"))[1])
        declared, took = timed(lambda: driver.command(VITALY, "/incident", "declare Checkout is down sev1"))
        during.append(took)
        answers = {"q0": "Fixed the renewal job", "q1": "Reviews", "q2": ""}
        submitted, took = timed(lambda: driver.submit(JAMES, form["id"], answers))
        during.append(took)
        claimed, took = timed(lambda: driver.click(VITALY, "I'll pair", channel=ENGINEERING))
        during.append(took)
        assert sim.in_outage(), "all of that happened while Slack answered 503 to everything"
        assert max(during) < 3, f"every request was answered within Slack's 3 s: {during}"
        assert declared.status_code == 200 and declared.json()["text"].startswith("Declared incident #1 in <#")
        assert submitted.status_code == 200 and submitted.text == "", "the form closed: the answers are kept"
        assert claimed.status_code == 200

        def everything_happened() -> bool:
            incident = [m for m in sim.messages(STATUS) if m["text"].startswith(":rotating_light: *Incident #1")]
            daily = sim.messages(DAILY)
            return (
                thread_of(sim, QUESTIONS, asked["ts"]) == ["Use the internal request form."]
                and scalar(database_url, "SELECT count(*) FROM questions WHERE closed_at IS NOT NULL") == 1
                and len(incident) == 1
                and len(sim.dms(JAMES)) >= 1
                and len(sim.dms(VITALY)) >= 1
                and len(daily) == 1
                and len(sim.replies(DAILY, daily[0]["ts"])) == 1
                and sim.messages(ENGINEERING)[0]["text"].endswith(f"Claimed by <@{VITALY}>. :tada:")
                and any(c.is_mpim and c.messages for c in sim.channels.values())
            )

        wait_for(everything_happened, "everything decided during the outage to reach Slack", timeout=90)
        time.sleep(3)  # later ticks and retries must not send anything twice
        assert scalar(database_url, "SELECT count(*) FROM questions") == 2
        assert thread_of(sim, QUESTIONS, asked["ts"]) == ["Use the internal request form."]
        assert len([m for m in sim.messages(STATUS) if "Incident #1" in m["text"]]) == 1
        assert [len([m for m in sim.dms(u) if "You are paged" in m["text"]]) for u in (JAMES, VITALY)] == [1, 1]
        [parent] = sim.messages(DAILY)
        assert [t.splitlines()[0] for t in thread_of(sim, DAILY, parent["ts"])] == [f"*<@{JAMES}>*"]
        assert sum(len(c.messages) for c in sim.channels.values() if c.is_mpim) == 1
        assert scalar(database_url, "SELECT count(*) FROM outbox WHERE state NOT IN ('done')") == 0


@pytest.mark.both_databases
def test_kill_9_during_delivery_loses_nothing(sim: SlackSimulator, database_url: str, tmp_path: Path) -> None:
    questions = [f"Question {n} about a license" for n in range(12)]
    with running_bot(sim, database_url, tmp_path, CONFIG) as first:
        sim.slow("chat.postMessage", 0.5)
        asked = [first.driver.say(SAM, QUESTIONS, text) for text in questions]
        wait_for(lambda: scalar(database_url, "SELECT count(*) FROM outbox WHERE state = 'done'") >= 2, "a few sent")
        # Posts are paced at one a second per channel, so the kill must wait for a call in flight.
        wait_for(lambda: scalar(database_url, "SELECT count(*) FROM outbox WHERE state = 'sending'") >= 1, "a call")
        first.kill()
    in_flight = scalar(database_url, "SELECT count(*) FROM outbox WHERE state = 'sending'")
    assert in_flight >= 1, "the kill cut deliveries off mid-call"
    sim.clear_faults()
    with running_bot(sim, database_url, tmp_path, CONFIG):
        wait_for(lambda: all(thread_of(sim, QUESTIONS, q["ts"]) for q in asked), "every auto-reply", timeout=60)
        time.sleep(2)
    replies = [len(thread_of(sim, QUESTIONS, q["ts"])) for q in asked]
    assert replies == [1] * len(asked), "nothing lost, and a post cut off after reaching Slack is found, not doubled"


@pytest.mark.both_databases
def test_two_replicas_deliver_every_effect_once(sim: SlackSimulator, database_url: str, tmp_path: Path) -> None:
    with (
        running_bot(sim, database_url, tmp_path, CONFIG) as first,
        running_bot(sim, database_url, tmp_path, CONFIG) as second,
    ):
        asked = [(first if n % 2 else second).driver.say(SAM, QUESTIONS, f"License question {n}") for n in range(20)]
        wait_for(lambda: all(thread_of(sim, QUESTIONS, q["ts"]) for q in asked), "every auto-reply", timeout=60)
        time.sleep(3)
        assert [len(thread_of(sim, QUESTIONS, q["ts"])) for q in asked] == [1] * 20
        holder = scalar(database_url, "SELECT holder FROM scheduler_lease")
        delivered_by = scalar(database_url, "SELECT count(DISTINCT claimed_by) FROM outbox")
        assert delivered_by == 1 and holder is not None, "the lease holder delivers what both replicas decided"
