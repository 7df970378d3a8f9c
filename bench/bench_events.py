"""The hot path: signed Slack requests against the whole bot and two Bolt baselines, served the same way.

Run by hand: ``.venv/bin/python -m bench.bench_events [DATABASE_URL]`` (default: a temporary SQLite
file; a PostgreSQL URL gets a throwaway schema). Needs ``wrk`` (Debian's package).

Three targets, each ``gunicorn --workers 1 --threads 4`` on loopback against the Slack simulator:
- ``fulfillbot``: the bot, storing every event durably before its 200 and processing it once;
- ``tracker``: the question tracker a team would write by hand on Bolt (``bench/tracker_bolt.py``:
  the listener writes the row with the ORM into SQLite after Bolt's ack; no durability, no
  de-duplication);
- ``bare Bolt``: a Bolt app that acknowledges and does nothing (the floor).

Three kinds of request: message events in the questions channel (each a tracked question), ✅
reactions on those messages (each closes one), and ``/fulfillment questions``. ``wrk`` sends slices of
``BENCH_REQUESTS`` (2,000) distinct, validly signed requests over 8 keep-alive connections; each kind
runs two rounds, the targets' slices alternating. For each slice: the answers per second, the ack
latency (p50, p99), the end-to-end rate (from the first request until every event's row is there and
the bot's inbox is empty), and the server's CPU per request over that time; the RSS of each target
after the run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import requests
import sqlalchemy as sa

from slackbot.config import Config
from slackbot.testing.databases import scratch_schema
from slackbot.testing.driver import API_APP_ID, SlackDriver
from slackbot.testing.harness import SIGNING_SECRET, TEAM, standard_workspace
from slackbot.testing.slack_sim import SlackSimulator
from tests.processes import bot_environment, free_port, wait_for

REPO = Path(__file__).resolve().parents[1]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = 8
KINDS = ("message", "reaction", "command")
QUESTIONS = "s_fulfillment"


@dataclass
class Target:
    name: str
    wsgi: str
    config: Path
    env: dict[str, str]
    done: Callable[[str, int], bool]  # (kind, how many of it so far) -> all that work is finished
    port: int = 0
    server: subprocess.Popen[bytes] | None = None


@dataclass
class Slice:
    answered: float  # requests per second, as wrk measured them
    end_to_end: float  # requests per second until the work was done
    p50: float  # ms
    p99: float
    cpu_ms: float  # server CPU per request, until the work was done


@dataclass
class Results:
    slices: dict[tuple[str, str], list[Slice]] = field(default_factory=dict)


def bodies(
    driver: SlackDriver, sim: SlackSimulator, kind: str, tag: int, stamp: int, posted: int
) -> list[tuple[str, str, str]]:
    """(body, content type, signature) of REQUESTS + CONNECTIONS distinct requests: the extra ones cover
    what is in flight when wrk stops. Messages are posted at ``posted`` (now: a question in the past
    would be due for its nudge at once), their ``ts`` unique per tag (a round and a target); a
    reaction is on the message of the same number and tag."""
    channel = sim.channel_id(QUESTIONS)
    found = []
    for n in range(REQUESTS + CONNECTIONS):
        user = TEAM[n % 4].id
        ts = f"{posted + n // 1000}.{tag:02d}{n % 1000:04d}"
        if kind == "command":
            form = {
                "token": "unused",
                "team_id": sim.team_id,
                "team_domain": "simulated",
                "channel_id": channel,
                "channel_name": QUESTIONS,
                "user_id": user,
                "user_name": sim.users[user]["name"],
                "command": "/fulfillment",
                "text": "questions",
                "api_app_id": API_APP_ID,
                "response_url": f"{sim.base_url}response/{tag}-{n}",
                "trigger_id": f"{tag}.{n}.trigger",
            }
            body, content_type = urlencode(form), "application/x-www-form-urlencoded"
        else:
            if kind == "message":
                event = {"type": "message", "channel": channel, "user": user, "text": f"load {n}", "ts": ts}
            else:
                item = {"type": "message", "channel": channel, "ts": ts}
                event = {"type": "reaction_added", "user": user, "reaction": "white_check_mark", "item": item}
            envelope = {
                "token": "unused",
                "team_id": sim.team_id,
                "api_app_id": API_APP_ID,
                "event": {**event, "event_ts": ts, "channel_type": "channel"},
                "type": "event_callback",
                "event_id": f"Ev{kind[0].upper()}{tag:03d}{n:06d}",
                "event_time": stamp,
            }
            body, content_type = json.dumps(envelope), "application/json"
        found.append((body, content_type, driver.signed_headers(body, stamp)["X-Slack-Signature"]))
    return found


def lua_script(requests_: list[tuple[str, str, str]], stamp: int, path: Path) -> None:
    """wrk sends the bodies in order, one each; once REQUESTS answers have come back it stops and
    writes ``path.done`` (wrk itself would wait out its duration: the bench interrupts it then)."""
    entries = ",\n".join(f"{{{json.dumps(b)}, {json.dumps(t)}, {json.dumps(s)}}}" for b, t, s in requests_)
    path.write_text(
        f"local bodies = {{{entries}}}\n"
        "local n = 0\nlocal answered = 0\n"
        "request = function()\n"
        "  n = n % #bodies + 1\n"
        "  local b = bodies[n]\n"
        f"  return wrk.format('POST', '/slack/events', {{['Content-Type']=b[2], "
        f"['X-Slack-Request-Timestamp']='{stamp}', ['X-Slack-Signature']=b[3]}}, b[1])\n"
        "end\n"
        "response = function(status, headers, body)\n"
        "  answered = answered + 1\n"
        f"  if answered == {REQUESTS} then\n"
        f"    local f = io.open({json.dumps(str(path) + '.done')}, 'w'); f:write('done'); f:close()\n"
        "    wrk.thread:stop()\n"
        "  end\n"
        "end\n"
    )


def processes(server: subprocess.Popen[bytes]) -> list[str]:
    children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
    return [str(server.pid), *children]


def cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """User + system CPU of gunicorn's master and workers, from /proc."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in processes(server):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def rss_mb(server: subprocess.Popen[bytes]) -> list[float]:
    found = []
    for pid in processes(server):
        status = Path(f"/proc/{pid}/status").read_text()
        found.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)  # type: ignore[union-attr]
    return found


def milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_slice(target: Target, kind: str, so_far: int, script: Path) -> Slice:
    assert target.server is not None
    before, started = cpu_seconds(target.server), time.monotonic()
    marker = Path(str(script) + ".done")
    wrk = subprocess.Popen(
        ["wrk", "-t1", f"-c{CONNECTIONS}", "-d300s", "--latency", "-s", str(script), f"http://127.0.0.1:{target.port}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    while not marker.exists():
        if wrk.poll() is not None or time.monotonic() - started > 300:
            raise RuntimeError(f"{target.name}: wrk ended before {REQUESTS} answers")
        time.sleep(0.005)
    answered_at = time.monotonic()
    wrk.send_signal(signal.SIGINT)  # wrk prints what it measured when interrupted
    output = wrk.communicate(timeout=30)[0]
    result = subprocess.CompletedProcess(wrk.args, 0, output, "")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if errors:
        raise RuntimeError(f"{target.name}: {errors.group(1)} requests were not answered 2xx:\n{result.stdout}")
    while not target.done(kind, so_far):
        if time.monotonic() - answered_at > 300:
            raise RuntimeError(f"{target.name} did not finish its {kind} work in 300 s")
        time.sleep(0.02)
    finished = time.monotonic()
    cpu = cpu_seconds(target.server) - before
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", result.stdout, re.MULTILINE))
    if len(latency) != 2:
        raise RuntimeError(f"{target.name}: no latency distribution from wrk:\n{result.stdout}")
    return Slice(
        answered=REQUESTS / (answered_at - started),
        end_to_end=REQUESTS / (finished - started),
        p50=milliseconds(latency["50"]),
        p99=milliseconds(latency["99"]),
        cpu_ms=cpu * 1000 / REQUESTS,
    )


def counter(url: str, done_sql: dict[str, str]) -> Callable[[str, int], bool]:
    """Whether a target's database shows the work of ``so_far`` requests of a kind done."""
    engine = sa.create_engine(url)

    def done(kind: str, so_far: int) -> bool:
        query = done_sql.get(kind)
        if query is None:
            return True
        with engine.connect() as conn:
            return bool(conn.execute(sa.text(query), {"wanted": so_far}).scalar())

    return done


def start(target: Target, folder: Path) -> None:
    target.port = free_port()
    command = [str(Path(sys.executable).with_name("gunicorn")), target.wsgi, "--bind", f"127.0.0.1:{target.port}"]
    command += ["--workers", "1", "--threads", "4", "--log-level", "warning", "--config", str(target.config)]
    log = (folder / f"{target.name.replace(' ', '_')}.log").open("w")
    target.server = subprocess.Popen(command, env={**target.env, "PORT": str(target.port)}, cwd=REPO, stderr=log)
    wait_for(lambda: _listening(target.port), f"{target.name} to start", timeout=60)


def targets(env: dict[str, str], url: str, folder: Path, questions: str) -> list[Target]:
    empty = folder / "empty.conf.py"
    empty.write_text("")
    tracker_url = f"sqlite:///{folder}/tracker.db"
    bot_done = {
        "message": "SELECT (SELECT count(*) FROM questions) >= :wanted"
        " AND NOT EXISTS (SELECT 1 FROM inbox WHERE state = 'pending')",
        "reaction": "SELECT (SELECT count(*) FROM questions WHERE closed_at IS NOT NULL) >= :wanted"
        " AND NOT EXISTS (SELECT 1 FROM inbox WHERE state = 'pending')",
    }
    tracker_done = {
        "message": "SELECT count(*) >= :wanted FROM tracked_questions",
        "reaction": "SELECT count(*) >= :wanted FROM tracked_questions WHERE closed_at IS NOT NULL",
    }
    tracker_env = {**env, "TRACKER_DATABASE_URL": tracker_url, "TRACKER_CHANNEL": questions}
    return [
        Target("fulfillbot", "slackbot.web:app", REPO / "gunicorn.conf.py", env, counter(url, bot_done)),
        Target("tracker", "bench.tracker_bolt:app", empty, tracker_env, counter(tracker_url, tracker_done)),
        Target("bare Bolt", "bench.bare_bolt:app", empty, env, lambda _kind, _so_far: True),
    ]


def report(results: Results, found: list[Target], memory: dict[str, list[float]]) -> None:
    def spread(values: list[float], digits: int = 0) -> str:
        low, high = min(values), max(values)
        return (
            f"{low:,.{digits}f}"
            if round(low, digits) == round(high, digits)
            else f"{low:,.{digits}f}–{high:,.{digits}f}"
        )

    names = [t.name for t in found]
    print(f"\n| kind | {' | '.join(names)} |\n|---|{'---|' * len(names)}")
    for kind in KINDS:
        rows = {
            "answered per second": lambda s: s.answered,
            "end to end per second": lambda s: s.end_to_end,
            "ack latency p50 (ms)": lambda s: s.p50,
            "ack latency p99 (ms)": lambda s: s.p99,
            "server CPU per request (ms)": lambda s: s.cpu_ms,
        }
        for label, value in rows.items():
            if kind == "command" and label.startswith("end to end"):
                continue
            digits = 1 if "ms" in label else 0
            cells = [spread([value(s) for s in results.slices[(t, kind)]], digits) for t in names]
            print(f"| {kind}: {label} | {' | '.join(cells)} |")
    cells = [f"{max(memory[t]):.0f} MB ({len(memory[t])} processes, {sum(memory[t]):.0f} in all)" for t in names]
    print(f"| RSS after the run (largest process) | {' | '.join(cells)} |")

    def mean(target: str, kind: str, value: Callable[[Slice], float]) -> float:
        return statistics.mean(value(s) for s in results.slices[(target, kind)])

    for kind in ("message", "reaction"):
        speed = mean("fulfillbot", kind, lambda s: s.end_to_end) / mean("tracker", kind, lambda s: s.end_to_end)
        cpu = mean("fulfillbot", kind, lambda s: s.cpu_ms) / mean("tracker", kind, lambda s: s.cpu_ms)
        print(f"{kind}: fulfillbot's end to end is {speed:.2f}x the tracker's, its CPU per event {cpu:.2f}x")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        folder = Path(scratch)
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/bench.db"
        if url.startswith("postgres"):
            url = stack.enter_context(scratch_schema(url, "bench"))
        sim = SlackSimulator().start()
        stack.callback(sim.stop)
        standard_workspace(sim, Config())
        driver = SlackDriver(sim, "http://unused", SIGNING_SECRET)
        env = bot_environment(sim, url, 0, folder)
        env["LOG_LEVEL"] = "WARNING"
        subprocess.run([sys.executable, "-m", "slackbot", "migrate"], env=env, check=True, capture_output=True)
        found = targets(env, url, folder, sim.channel_id(QUESTIONS))
        for target in found:
            start(target, folder)
            stack.callback(_stop, target)
        print(
            f"{url.split(':')[0]}: gunicorn 1 worker x 4 threads, wrk 8 connections, {ROUNDS} rounds of "
            f"{REQUESTS:,} requests of each kind per target, slices alternating; {os.cpu_count()} cores"
        )
        results = Results()
        messages_posted: dict[int, int] = {}
        for kind in KINDS:
            for round_ in range(ROUNDS):
                for number, target in enumerate(found):
                    stamp, tag = int(time.time()), round_ * 10 + number
                    posted = messages_posted.setdefault(tag, stamp)  # by the message slice of this tag
                    script = folder / f"{kind}-{round_}-{number}.lua"
                    lua_script(bodies(driver, sim, kind, tag, stamp, posted), stamp, script)
                    taken = run_slice(target, kind, REQUESTS * (round_ + 1), script)
                    results.slices.setdefault((target.name, kind), []).append(taken)
                    print(
                        f"  {kind:<8} round {round_ + 1} {target.name:<10} {taken.answered:7.0f} answered/s  "
                        f"{taken.end_to_end:7.0f} end to end/s  p50 {taken.p50:5.1f} ms  p99 {taken.p99:6.1f} ms  "
                        f"{taken.cpu_ms:5.2f} ms CPU",
                        flush=True,
                    )
        memory = {t.name: rss_mb(t.server) for t in found if t.server is not None}
        report(results, found, memory)


def _stop(target: Target) -> None:
    if target.server is not None:
        target.server.terminate()
        target.server.wait(timeout=30)


def _listening(port: int) -> bool:
    """Every target answers on its port once its worker is up (the bot's /healthz, Bolt's 404)."""
    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except requests.RequestException:
        return False
    return True


if __name__ == "__main__":
    main()
