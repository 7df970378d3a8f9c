"""``fulfillbot run`` as a real process, against the Slack simulator, in HTTP mode."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from slackbot.testing.driver import SlackDriver
from slackbot.testing.harness import SIGNING_SECRET, TEAM
from slackbot.testing.slack_sim import SlackSimulator
from tests.processes import bot_environment, free_port, healthy, wait_for

pytestmark = pytest.mark.slow

JAMES = TEAM[0].id


def test_run_serves_http_against_the_simulator(sim: SlackSimulator, database_url: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "slackbot", "run"],
        env=bot_environment(sim, database_url, port, tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: healthy(url) or process.poll() is not None, "the bot to answer /healthz")
        assert process.poll() is None, "the bot exited at start"

        joined = sorted(c["channel"] for c in sim.calls_to("conversations.join"))
        assert joined == sorted(c.id for c in sim.channels.values() if not c.is_im)

        driver = SlackDriver(sim, url, SIGNING_SECRET)
        unsigned = requests.post(url + "/slack/events", data="command=%2Ffulfillment&text=help", timeout=10)
        assert unsigned.status_code == 401
        driver.command(JAMES, "/fulfillment", "help", channel="s_fulfillment")
        assert sim.ephemerals_for(JAMES)[-1]["text"].startswith("*/fulfillment*")

        channel = sim.channel_id("s_fulfillment_engineering")
        said = sim.post(channel, JAMES, f"<@{sim.bot_user_id}> hello")
        event = {
            "type": "app_mention",
            "channel": channel,
            "user": JAMES,
            "text": said["text"],
            "ts": said["ts"],
        }
        for retry in (None, 1, 2):
            assert driver.send_event(event, event_id="Ev0RUNTEST1", retry_num=retry).status_code == 200
        deduplicated = 'fulfillbot_events_deduplicated_total{source="slack"} 2.0'
        wait_for(lambda: deduplicated in requests.get(url + "/metrics", timeout=5).text, "both repeats skipped")
        wait_for(lambda: bool(sim.replies(channel, said["ts"])), "the reply, delivered after the event was stored")
        time.sleep(1)
        assert len(sim.replies(channel, said["ts"])) == 1, "a repeated event has one effect"

    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "features: mode: HTTP; GitLab API (https://gitlab.com): off (GITLAB_TOKEN unset)" in stderr
    for secret in (sim.token, SIGNING_SECRET, "hook-secret-value"):
        assert secret not in stderr, "a secret reached the log"
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() is not None
    engine.dispose()


def test_run_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    result = subprocess.run(
        [sys.executable, "-m", "slackbot", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "fulfillbot: SLACK_BOT_TOKEN: is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_names_the_config_key_of_a_missing_channel(sim: SlackSimulator, tmp_path: Path) -> None:
    config = tmp_path / "fulfillbot.toml"
    config.write_text('[channels]\nstatus = "s_fulfillment_outages"\n')
    env = bot_environment(sim, f"sqlite:///{tmp_path / 'bot.db'}", free_port(), tmp_path)
    env["FULFILLBOT_CONFIG"] = str(config)
    result = subprocess.run(
        [sys.executable, "-m", "slackbot", "run"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert 'fulfillbot: channels.status: channel "s_fulfillment_outages" was not found' in result.stderr


def test_migrate_command(tmp_path: Path) -> None:
    database = tmp_path / "m.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    console_script = Path(sys.executable).with_name("fulfillbot")
    result = subprocess.run([str(console_script), "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(f"sqlite:///{database}")
    assert {"processed_keys", "scheduler_lease", "alembic_version"} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()
