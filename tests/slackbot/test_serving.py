"""Slow clients against the server the Procfile runs (and ``fulfillbot run``): 100 connections that
send their headers and then trickle the body hold no thread, so ``/healthz`` and ``/slack/events``
still answer within a second."""

import contextlib
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from slackbot.testing.driver import SlackDriver
from slackbot.testing.harness import SIGNING_SECRET, TEAM
from slackbot.testing.slack_sim import SlackSimulator
from tests.processes import bot_environment, free_port, healthy, wait_for

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TRICKLERS = 100
TRICKLE_FOR = 6.0  # seconds the slow clients keep sending, one byte a second each


def procfile_web_command() -> list[str]:
    line = next(line for line in (REPO / "Procfile").read_text().splitlines() if line.startswith("web:"))
    return shlex.split(line.removeprefix("web:").strip())


def trickle(port: int, stop: threading.Event, opened: list[socket.socket]) -> None:
    """Headers that promise 100,000 bytes, then one byte a second from each connection."""
    for _ in range(TRICKLERS):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n{"
        )
        opened.append(connection)
    while not stop.wait(1.0):
        for connection in opened:
            with contextlib.suppress(OSError):
                connection.send(b" ")


def test_slow_clients_cannot_stop_the_procfile_command(sim: SlackSimulator, tmp_path: Path) -> None:
    command = procfile_web_command()
    assert command[:2] == ["fulfillbot", "run"], "this test runs the Procfile's web command"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = bot_environment(sim, f"sqlite:///{tmp_path / 'bot.db'}", port, tmp_path)
    env["LOG_LEVEL"] = "INFO"
    executable = str(Path(sys.executable).with_name(command[0]))
    with (tmp_path / "bot.log").open("w") as log:
        process = subprocess.Popen([executable, *command[1:]], env=env, stderr=log)
    stop = threading.Event()
    opened: list[socket.socket] = []
    try:
        wait_for(lambda: healthy(url) or process.poll() is not None, "the bot to start")
        assert process.poll() is None, (tmp_path / "bot.log").read_text()
        slow = threading.Thread(target=trickle, args=(port, stop, opened), daemon=True)
        slow.start()
        wait_for(lambda: len(opened) == TRICKLERS, "the slow connections to open", timeout=20)
        driver = SlackDriver(sim, url, SIGNING_SECRET)
        timings = []
        deadline = time.monotonic() + TRICKLE_FOR
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert requests.get(url + "/healthz", timeout=5).status_code == 200
            timings.append(("healthz", time.monotonic() - started))
            started = time.monotonic()
            assert driver.command(TEAM[0].id, "/standup", "help").status_code == 200
            timings.append(("slack", time.monotonic() - started))
            time.sleep(0.3)  # real time on purpose: the probes are spread over the trickle, in a real process
        assert len(opened) == TRICKLERS and all(c.fileno() != -1 for c in opened)
        slowest = max(seconds for _, seconds in timings)
        assert slowest < 1.0, f"answers took up to {slowest:.2f} s while {TRICKLERS} clients trickled: {timings}"
        assert len(timings) >= 10
    finally:
        stop.set()
        for connection in opened:
            connection.close()
        process.terminate()
        process.wait(timeout=30)
    log_text = (tmp_path / "bot.log").read_text()
    assert "Traceback" not in log_text
