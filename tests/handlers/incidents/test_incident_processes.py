"""Escalation across real processes: two replicas on one database, one killed with SIGKILL mid-escalation.

Real time passes here (ticks of 1 s, ack timeouts of 2 s): it is the processes, not the logic,
under test; the logic's timing is tested with the fake clock elsewhere.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from slackbot.testing.driver import SlackDriver
from slackbot.testing.harness import SIGNING_SECRET, TEAM
from slackbot.testing.slack_sim import SlackSimulator
from tests.processes import bot_environment, free_port, healthy, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.both_databases]

JAMES, VITALY, ALICE = TEAM[0].id, TEAM[1].id, TEAM[2].id
CONFIG = """
[scheduler]
tick = "1s"

[incidents]
repeat = 0

[[incidents.escalation]]
users = ["U0JAMES01", "U0VITALY1"]
ack_timeout = "2s"

[[incidents.escalation]]
usergroup = "fulfillment-engineering"
ack_timeout = "2s"
"""


def start(sim: SlackSimulator, database_url: str, tmp_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = bot_environment(sim, database_url, port, tmp_path)
    env["FULFILLBOT_CONFIG"] = str(tmp_path / "fulfillbot.toml")
    env["LOG_LEVEL"] = "WARNING"
    process = subprocess.Popen([sys.executable, "-m", "slackbot", "run"], env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: healthy(url) or process.poll() is not None, "a replica to start")
    assert process.poll() is None
    return process, url


def test_two_replicas_and_a_kill_9_page_each_level_once(sim: SlackSimulator, database_url: str, tmp_path: Path) -> None:
    (tmp_path / "fulfillbot.toml").write_text(CONFIG)
    first, first_url = start(sim, database_url, tmp_path)
    second, _ = start(sim, database_url, tmp_path)
    try:
        SlackDriver(sim, first_url, SIGNING_SECRET).command(ALICE, "/incident", "declare Renewals fail sev1")
        status = sim.channel_id("s_fulfillment_status")
        wait_for(lambda: len(sim.dms(JAMES)) == 1 and len(sim.dms(VITALY)) == 1, "level 1 pages")
        os.kill(first.pid, signal.SIGKILL)
        first.wait()

        def thread() -> list[str]:
            incident = next(m for m in sim.messages(status) if "Incident #1" in m["text"])
            return [m["text"] for m in sim.replies(status, incident["ts"])]

        wait_for(lambda: any("stopped" in t for t in thread()), "the escalation to run out", timeout=60)
        pings = [t for t in thread() if t.startswith("<!subteam^")]
        assert len(pings) == 1, thread()
        assert len(sim.dms(JAMES)) == 1 and len(sim.dms(VITALY)) == 1, "each page once, across replicas and the kill"
        assert sum("stopped" in t for t in thread()) == 1
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
