"""Helpers for tests that run the bot as a real process (``fulfillbot run``, gunicorn)."""

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import requests

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
