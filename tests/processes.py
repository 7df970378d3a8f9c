"""Helpers for tests that run the bot as a real process (``fulfillbot run``, gunicorn)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from slackbot.testing.driver import SlackDriver
from slackbot.testing.harness import SIGNING_SECRET
from slackbot.testing.slack_sim import SlackSimulator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """For real processes only: poll until the condition holds or the deadline passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def health(url: str) -> dict[str, object] | None:
    """The /healthz document, or None while the server (or the worker that took the request) is not up."""
    try:
        response = requests.get(url + "/healthz", timeout=2)
    except requests.RequestException:
        return None
    return dict(response.json()) if response.status_code == 200 else None


def healthy(url: str) -> bool:
    return health(url) is not None


def bot_environment(sim: SlackSimulator, database_url: str, port: int, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": sim.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sim.api_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "LOG_LEVEL": "DEBUG",
        "FULFILLBOT_CONFIG": str(tmp_path / "absent.toml"),
        "GITLAB_WEBHOOK_SECRET": "hook-secret-value",
    }


class BotProcess:
    """One ``fulfillbot run`` process, in HTTP mode or (with the app token) in Socket Mode."""

    def __init__(self, sim: SlackSimulator, database_url: str, tmp_path: Path, socket_mode: bool = False):
        port = free_port()
        env = bot_environment(sim, database_url, port, tmp_path)
        env["FULFILLBOT_CONFIG"] = str(tmp_path / "fulfillbot.toml")
        env["LOG_LEVEL"] = "INFO"
        if socket_mode:
            env["SLACK_APP_TOKEN"] = sim.app_token
            del env["SLACK_SIGNING_SECRET"]
        self.log = tmp_path / f"bot-{port}.log"
        connected_before = sim.socket_link.connections_opened if socket_mode else 0
        with self.log.open("w") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "slackbot", "run"], env=env, stderr=log)
        self.url = f"http://127.0.0.1:{port}"
        wait_for(lambda: healthy(self.url) or self.process.poll() is not None, "the bot to start")
        assert self.process.poll() is None, self.log.read_text()
        if socket_mode:
            sim.socket_link.wait_connected(connected_before + 1)
        self.driver = SlackDriver(sim, self.url, SIGNING_SECRET, socket_mode=socket_mode)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> int:
        """SIGTERM, as a container runtime sends it; the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        return self.process.returncode


@contextmanager
def running_bot(
    sim: SlackSimulator, database_url: str, tmp_path: Path, config: str, socket_mode: bool = False
) -> Iterator[BotProcess]:
    (tmp_path / "fulfillbot.toml").write_text(config)
    bot = BotProcess(sim, database_url, tmp_path, socket_mode)
    try:
        yield bot
    finally:
        bot.stop()
