"""An alert storm: 1,000 alerts a minute for 10 minutes into one process, under Slack's real limits.

Run by hand: ``.venv/bin/python -m bench.bench_alerts [DATABASE_URL] [--seconds 600]``. Alertmanager
notifications (version 4, bearer token, the shape ``slackbot.testing.monitoring`` sends) come from
8 threads at 1,000 alerts a minute: 50 groups of up to 20 alerts for 5 services, each notification
naming one alert that starts firing or resolves, as a storm does. A route declares an incident for
the critical ones. Measured: the HTTP answer's latency (the alert stored before the 200), that every
alert sent is recorded (nothing lost), how many posts and updates reached Slack for how many groups,
and how many calls Slack refused with 429 (the bot paces itself under Slack's limits, so: none).

The baseline, in the same run: the same notifications from the same client into the same HTTP
server (waitress, as ``fulfillbot run`` serves) with a WSGI app that answers 200 and keeps nothing:
the floor of an answer on this machine, for ``--floor-seconds`` (60 by default).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from handlers.alerts.config import AlertsSection, Route
from handlers.alerts.models import Alert as AlertRow
from handlers.alerts.models import AlertGroup
from handlers.incidents.config import EscalationLevel, IncidentsSection
from slackbot.config import Config
from slackbot.models import OutboxItem
from slackbot.ratelimit import SlackLimits
from slackbot.testing.databases import scratch_schema
from slackbot.testing.harness import TEAM, Harness
from slackbot.testing.monitoring import Alert, Alertmanager
from slackbot.testing.slack_sim import RateLimits
from slackbot.web import HttpServer

PER_MINUTE = 1_000
GROUPS, ALERTS_PER_GROUP, SERVICES = 50, 20, 5
TOKEN = "bench-alerts-token"


def floor(seconds: int) -> list[float]:
    """Answer latencies of a WSGI app that takes the body and answers 200: no storage, no work."""

    def app(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        stream = environ["wsgi.input"]
        stream.read(int(str(environ.get("CONTENT_LENGTH") or 0)))  # type: ignore[attr-defined]
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
        return [b"{}"]

    server = HttpServer(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return storm(Alertmanager(f"http://127.0.0.1:{server.server_port}", TOKEN), seconds)[0]
    finally:
        server.shutdown()
        server.server_close()


def storm(sender: Alertmanager, seconds: int) -> tuple[list[float], int]:
    """Send PER_MINUTE notifications a minute for ``seconds`` from 8 threads: their answer latencies,
    and how many distinct alerts they named."""
    state: dict[tuple[int, int], Alert] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    chooser = random.Random(7)

    def one() -> None:
        with lock:
            group, member = chooser.randrange(GROUPS), chooser.randrange(ALERTS_PER_GROUP)
            alert = state.get((group, member))
            if alert is None or alert.ends_at is not None:
                labels = {
                    "alertname": f"Check{group}",
                    "service": f"service-{group % SERVICES}",
                    "severity": "critical" if group % 10 == 0 else "warning",
                    "instance": f"web-{member}",
                }
                alert = state[(group, member)] = Alert(labels, {"summary": f"check {group} on web-{member}"})
            else:
                alert.ends_at = datetime.now(UTC)
        started = time.monotonic()
        answer = sender.notify({"alertname": f"Check{group}"}, [alert])
        elapsed = (time.monotonic() - started) * 1000
        assert answer.status_code == 200, answer.text
        with lock:
            latencies.append(elapsed)

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for n in range(PER_MINUTE * seconds // 60):
            time.sleep(max(0.0, began + n * 60 / PER_MINUTE - time.monotonic()))
            pool.submit(one)
    return latencies, len(state)


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    return (
        f"p50 {statistics.median(ordered):.1f} ms, p99 {ordered[int(len(ordered) * 0.99) - 1]:.1f} ms, "
        f"max {ordered[-1]:.1f} ms ({len(ordered):,} answered)"
    )


def pending(harness: Harness) -> int:
    with harness.bot.ctx.db.reading() as session:
        return int(
            session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.state == "pending")) or 0
        )


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("database_url", nargs="?")
    options.add_argument("--seconds", type=int, default=600)
    options.add_argument("--floor-seconds", type=int, default=60)
    args = options.parse_args()
    baseline = floor(args.floor_seconds)
    policy = IncidentsSection(escalation=[EscalationLevel(users=[TEAM[0].id], ack_timeout=timedelta(minutes=5))])
    routes = AlertsSection(routes=[Route({"severity": "critical"}, declare=True, severity=1)])
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        if url.startswith("postgres"):
            url = stack.enter_context(scratch_schema(url, "bench"))
        with Harness(
            url, Config.of(policy, routes), limits=SlackLimits(), background=True, alerts_token=TOKEN
        ) as harness:
            harness.sim.enforce_rate_limits(RateLimits())
            began = time.monotonic()
            latencies, distinct = storm(Alertmanager(harness.url, TOKEN), args.seconds)
            sent_for = time.monotonic() - began
            harness.settle()
            settled = time.monotonic()
            while pending(harness) and time.monotonic() - settled < 300:
                time.sleep(0.5)
            drained = time.monotonic() - settled
            with harness.bot.ctx.db.reading() as session:
                recorded = session.scalar(select(func.count()).select_from(AlertRow))
                groups = session.scalar(select(func.count()).select_from(AlertGroup).where(AlertGroup.posted.is_(True)))
            posts = len([1 for name, _ in harness.sim.calls if name == "chat.postMessage"])
            updates = len([1 for name, _ in harness.sim.calls if name == "chat.update"])
            print(
                f"{harness.bot.ctx.db.engine.dialect.name}: {len(latencies):,} alert notifications in {sent_for:.0f} s"
            )
            print(f"  fulfillbot: {summary(latencies)}")
            print(f"  baseline (answers 200, keeps nothing) for {args.floor_seconds} s: {summary(baseline)}")
            print(f"  distinct alerts sent {distinct:,}, recorded {recorded:,}; groups posted {groups}")
            print(f"  Slack: {posts:,} posts, {updates:,} updates, {len(harness.sim.refusals):,} refused (429)")
            refused_methods = sorted({name for name, _ in harness.sim.refusals})
            print(f"  refused calls: {', '.join(refused_methods) or 'none'}")
            print(f"  outbox drained {drained:.0f} s after the last alert")


if __name__ == "__main__":
    main()
