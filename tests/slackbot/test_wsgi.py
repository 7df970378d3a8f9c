"""``gunicorn slackbot.web:app``: several workers, each with a scheduler, one lease holder."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from slackbot.testing.driver import SlackDriver
from slackbot.testing.harness import SIGNING_SECRET, TEAM
from slackbot.testing.slack_sim import SlackSimulator
from tests.processes import bot_environment, free_port, health, healthy, wait_for

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_gunicorn_serves_the_wsgi_app(sim: SlackSimulator, database_url: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = bot_environment(sim, database_url, port, tmp_path)
    config = tmp_path / "fulfillbot.toml"
    config.write_text('[scheduler]\ntick = "1s"\n')
    env["FULFILLBOT_CONFIG"] = str(config)
    migrate = subprocess.run([sys.executable, "-m", "slackbot", "migrate"], env=env, capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stderr
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "slackbot.web:app", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: healthy(url) or process.poll() is not None, "gunicorn to answer /healthz")
        assert process.poll() is None
        wait_for(lambda: (health(url) or {}).get("scheduler_lease_holder") is not None, "a lease holder", timeout=60)
        holders = {requests.get(url + "/healthz", timeout=30).json()["scheduler_lease_holder"] for _ in range(10)}
        assert len(holders) == 1, "every worker sees the same single holder"
        SlackDriver(sim, url, SIGNING_SECRET).command(TEAM[0].id, "/standup", "help")
        assert sim.ephemerals_for(TEAM[0].id)[-1]["text"].startswith("*/standup*")
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert sim.token not in stderr
    assert os.path.exists(REPO / "gunicorn.conf.py")


def test_workers_boot_within_their_timeout_while_slack_answers_429(
    sim: SlackSimulator, database_url: str, tmp_path: Path
) -> None:
    """A start that could ask Slack kept what it learnt; later starts use it while Slack refuses."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = bot_environment(sim, database_url, port, tmp_path)
    env["LOG_LEVEL"] = "INFO"
    warm = subprocess.run([sys.executable, "-m", "slackbot", "migrate"], env=env, capture_output=True, text=True)
    assert warm.returncode == 0, warm.stderr
    first = subprocess.Popen([sys.executable, "-m", "slackbot", "run"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: healthy(url) or first.poll() is not None, "a first start that can ask Slack")
    finally:
        first.terminate()
        first.communicate(timeout=30)
    for method in ("auth.test", "users.conversations", "conversations.list", "conversations.info"):
        sim.rate_limit(method, times=1_000_000, retry_after=30)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    started = time.monotonic()
    process = subprocess.Popen(
        [str(gunicorn), "slackbot.web:app", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30"],
        env=env,
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: healthy(url) or process.poll() is not None, "gunicorn to answer /healthz", timeout=60)
        booted = time.monotonic() - started
        assert process.poll() is None
        assert booted < 30, f"booted in {booted:.1f} s"
        SlackDriver(sim, url, SIGNING_SECRET).command(TEAM[0].id, "/standup", "help")
        assert sim.ephemerals_for(TEAM[0].id)[-1]["text"].startswith("*/standup*")
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert "Slack refused auth.test at start: serving as U0BOT0001, as at the last start" in stderr
    assert "WORKER TIMEOUT" not in stderr
