"""Throughput of signed message events: the whole bot against a bare Bolt app, same gunicorn, same load.

Run by hand: ``.venv/bin/python -m bench.bench_events [DATABASE_URL]`` (default: a temporary SQLite
file; a PostgreSQL URL gets a throwaway schema). Needs ``wrk`` (Debian's package). Both apps run as
``gunicorn --workers 2 --threads 8`` on loopback against the Slack simulator; ``wrk`` replays the
same pre-signed Events API deliveries (each with its own event ID) to each. Two loads: messages in
the questions channel (each becomes a tracked question) and messages in another channel (stored in
the inbox, nothing to do). Prints requests per second and server CPU per event.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests

from slackbot.config import Config
from slackbot.testing.databases import scratch_schema
from slackbot.testing.driver import SlackDriver
from slackbot.testing.harness import SIGNING_SECRET, TEAM, standard_workspace
from slackbot.testing.slack_sim import SlackSimulator
from tests.processes import bot_environment, free_port, wait_for

REPO = Path(__file__).resolve().parents[1]
REQUESTS = 30_000
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))


def lua_script(driver: SlackDriver, sim: SlackSimulator, channel: str, path: Path) -> None:
    """A wrk script that sends REQUESTS distinct, validly signed message events, round-robin."""
    channel_id = sim.channel_id(channel)
    stamp = int(time.time())
    entries = []
    for n in range(REQUESTS):
        ts = f"{stamp + n // 1000}.{n % 1000:06d}"
        event = {"type": "message", "channel": channel_id, "user": TEAM[n % 4].id, "text": f"load {n}", "ts": ts}
        body = json.dumps(
            {
                "token": "unused",
                "team_id": sim.team_id,
                "api_app_id": "A0SIMAPP1",
                "event": {**event, "event_ts": ts, "channel_type": "channel"},
                "type": "event_callback",
                "event_id": f"EvLOAD{channel_id}{n:08d}",
                "event_time": stamp,
            }
        )
        signature = driver.signed_headers(body, stamp)["X-Slack-Signature"]
        entries.append(f"{{{json.dumps(body)}, {json.dumps(signature)}}}")
    path.write_text(
        "local bodies = {" + ",\n".join(entries) + "}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n % #bodies + 1\n"
        "  local b = bodies[n]\n"
        f"  return wrk.format('POST', '/slack/events', {{['Content-Type']='application/json', "
        f"['X-Slack-Request-Timestamp']='{stamp}', ['X-Slack-Signature']=b[2]}}, b[1])\n"
        "end\n"
    )


def gunicorn(target: str, env: dict[str, str], port: int, config: Path) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).with_name("gunicorn")), target, "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "2", "--threads", "8", "--log-level", "warning", "--config", str(config)]
    return subprocess.Popen(command, env=env, cwd=REPO, stderr=subprocess.DEVNULL)


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """User + system CPU of gunicorn's master and workers, from /proc."""
    total = 0.0
    pids = [
        str(process.pid),
        *subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split(),
    ]
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def load(url: str, script: Path, server: subprocess.Popen[bytes]) -> tuple[float, float, int]:
    before = cpu_seconds(server)
    result = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", str(script), url + "/slack/events"],
        capture_output=True,
        text=True,
        check=True,
    )
    cpu = cpu_seconds(server) - before
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", result.stdout).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if errors:
        raise RuntimeError(f"{errors.group(1)} requests were not answered 2xx:\n{result.stdout}")
    return rate, cpu * 1000 / total, total


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/bench.db"
        if url.startswith("postgres"):
            url = stack.enter_context(scratch_schema(url, "bench"))
        sim = SlackSimulator().start()
        stack.callback(sim.stop)
        standard_workspace(sim, Config())
        driver = SlackDriver(sim, "http://unused", SIGNING_SECRET)
        env = bot_environment(sim, url, 0, Path(folder))
        env["LOG_LEVEL"] = "WARNING"
        subprocess.run([sys.executable, "-m", "slackbot", "migrate"], env=env, check=True, capture_output=True)
        print(f"{url.split(':')[0]}: {CONNECTIONS} connections, {SECONDS} s per run, gunicorn 2 workers x 8 threads")
        for channel, what in (("s_fulfillment", "questions channel"), ("s_fulfillment_engineering", "other channel")):
            rates = {}
            runs = (
                ("bare Bolt", "bench.bare_bolt:app", Path(folder) / "empty.conf.py"),
                ("fulfillbot", "slackbot.web:app", REPO / "gunicorn.conf.py"),
            )
            (Path(folder) / "empty.conf.py").write_text("")
            for name, target, config in runs:
                script = Path(folder) / f"{name.replace(' ', '_')}-{channel}.lua"
                lua_script(driver, sim, channel, script)
                port = free_port()
                server = gunicorn(target, {**env, "PORT": str(port)}, port, config)
                try:
                    wait_for(lambda port=port: _listening(port), f"{name} to start", timeout=60)
                    rate, cpu_ms, total = load(f"http://127.0.0.1:{port}", script, server)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
                rates[name] = rate
                print(f"  {what:<18} {name:<11} {rate:8.1f} req/s   {cpu_ms:5.2f} ms CPU per event  ({total:,} events)")
            print(f"  {what:<18} ratio fulfillbot / bare Bolt: {rates['fulfillbot'] / rates['bare Bolt']:.2f}")


def _listening(port: int) -> bool:
    """Both apps answer on their port once a worker is up (the bot's /healthz, Bolt's 404 for GET /)."""
    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except requests.RequestException:
        return False
    return True


if __name__ == "__main__":
    main()
