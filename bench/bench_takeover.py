"""How long another replica takes to take the scheduler lease over after the holder is killed (kill -9),
and after it is stopped (SIGTERM).

Run by hand: ``.venv/bin/python -m bench.bench_takeover [DATABASE_URL]``. Two ``fulfillbot run``
processes with ``tick = "1s"`` (so a lease of 3 s) on one database; the holder is killed five times
(a new replica takes its place each time) and stopped once. Prints the time from the kill to the
other replica's /healthz naming itself holder.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import requests

from slackbot.clock import SystemClock
from slackbot.config import Config
from slackbot.db import Database
from slackbot.scheduler import Lease
from slackbot.testing.databases import scratch_schema
from slackbot.testing.harness import standard_workspace
from slackbot.testing.slack_sim import SlackSimulator
from tests.processes import bot_environment, free_port, healthy, wait_for

RUNS = 5
LeaseRow = Callable[[], "str | None"]


class Replica:
    def __init__(self, sim: SlackSimulator, url: str, folder: Path):
        self.port = free_port()
        env = bot_environment(sim, url, self.port, folder)
        env["FULFILLBOT_CONFIG"] = str(folder / "fulfillbot.toml")
        env["LOG_LEVEL"] = "WARNING"
        self.process = subprocess.Popen([sys.executable, "-m", "slackbot", "run"], env=env, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(lambda: healthy(self.url), "a replica to start")

    def holder(self) -> str | None:
        """The lease holder as /healthz shows it (a digest: it names no host or PID)."""
        try:
            return requests.get(self.url + "/healthz", timeout=2).json().get("scheduler_lease_holder")
        except requests.RequestException:
            return None

    def holds(self, lease: LeaseRow) -> bool:
        holder = lease()
        return holder is not None and holder.split(":")[1] == str(self.process.pid)


def lease_row(url: str) -> LeaseRow:
    """The lease's holder as the database has it (``host:pid:...``): /healthz shows only a digest."""
    return Lease(Database(url), SystemClock(), "bench-observer", timedelta(seconds=3)).current_holder


def takeover(survivor: Replica, holder: Replica, stop: int, lease: LeaseRow) -> float:
    os.kill(holder.process.pid, stop)
    stopped = time.monotonic()
    holder.process.wait()
    while not survivor.holds(lease):
        time.sleep(0.02)
    return time.monotonic() - stopped


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/bench.db"
        if url.startswith("postgres"):
            url = stack.enter_context(scratch_schema(url, "bench"))
        (Path(folder) / "fulfillbot.toml").write_text('[scheduler]\ntick = "1s"\n')
        sim = SlackSimulator().start()
        stack.callback(sim.stop)
        standard_workspace(sim, Config())
        replicas = [Replica(sim, url, Path(folder)), Replica(sim, url, Path(folder))]
        lease = lease_row(url)
        try:
            kills = []
            for _ in range(RUNS + 1):
                wait_for(lambda replicas=replicas: any(r.holds(lease) for r in replicas), "a holder")
                holder = next(r for r in replicas if r.holds(lease))
                survivor = next(r for r in replicas if r is not holder)
                if len(kills) < RUNS:
                    kills.append(takeover(survivor, holder, signal.SIGKILL, lease))
                else:
                    terminated = takeover(survivor, holder, signal.SIGTERM, lease)
                replicas = [survivor, Replica(sim, url, Path(folder))]
        finally:
            for replica in replicas:
                replica.process.terminate()
                replica.process.wait(timeout=30)
        print(
            f"tick 1 s, lease 3 s, {RUNS} kills: takeover after kill -9 in {min(kills):.1f} to {max(kills):.1f} s "
            f"(median {statistics.median(kills):.1f} s); after SIGTERM in {terminated:.2f} s"
        )


if __name__ == "__main__":
    main()
