"""Replicas started at the same moment on one PostgreSQL database all come up: three replicas of two
processes each, on a new schema (they all migrate) and then twice more on the migrated one."""

import subprocess
import sys
from pathlib import Path

import pytest

from slackbot.testing.databases import scratch_schema
from slackbot.testing.slack_sim import SlackSimulator
from tests.conftest import POSTGRES_URL
from tests.processes import bot_environment, free_port, healthy, wait_for

pytestmark = pytest.mark.slow

REPLICAS, PROCESSES_EACH, STARTS = 3, 2, 3


@pytest.mark.skipif(POSTGRES_URL is None, reason="no PostgreSQL on 127.0.0.1:5432")
def test_three_replicas_of_two_processes_started_together_all_come_up(sim: SlackSimulator, tmp_path: Path) -> None:
    assert POSTGRES_URL is not None
    (tmp_path / "fulfillbot.toml").write_text('[scheduler]\ntick = "1s"\n')
    with scratch_schema(POSTGRES_URL) as database_url:
        for start in range(STARTS):
            processes = []
            for index in range(REPLICAS * PROCESSES_EACH):
                port = free_port()
                env = bot_environment(sim, database_url, port, tmp_path)
                env.update(FULFILLBOT_CONFIG=str(tmp_path / "fulfillbot.toml"), LOG_LEVEL="INFO")
                log = tmp_path / f"start{start}-process{index}.log"
                with log.open("w") as stream:
                    command = [sys.executable, "-m", "slackbot", "run"]
                    processes.append((subprocess.Popen(command, env=env, stderr=stream), port, log))
            try:
                for process, port, log in processes:
                    url = f"http://127.0.0.1:{port}"
                    wait_for(
                        lambda url=url, process=process: healthy(url) or process.poll() is not None,
                        "every process to come up",
                        60,
                    )
                    assert process.poll() is None, f"start {start + 1}: a process exited:\n{log.read_text()}"
            finally:
                for process, _port, _log in processes:
                    process.terminate()
                for process, _port, _log in processes:
                    process.wait(timeout=30)
            for _process, _port, log in processes:
                assert "Traceback" not in log.read_text(), log.read_text()
