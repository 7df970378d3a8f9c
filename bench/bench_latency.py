"""Event-to-effect latency: 50 signed events a second for 60 s, each answered by the bot in Slack.

Run by hand: ``.venv/bin/python -m bench.bench_latency [DATABASE_URL]``. Each event is an
``app_mention`` in one of 100 channels; its effect is the bot's reply in the mention's thread. The
latency is from sending the event to the reply reaching the simulated Slack: stored in the inbox,
answered 200, processed, recorded in the outbox, delivered by the deliverer's own loop. Slack's rate
limits are lifted here (100 channels, 50 replies a second is far above Slack's workspace cap on
posts) and the bot paces itself a hundred times faster than Slack would let it: this measures the
bot, not Slack's limits (``bench_morning.py`` measures those).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from slackbot.ratelimit import SlackLimits
from slackbot.testing.databases import scratch_schema
from slackbot.testing.harness import TEAM, Harness

RATE = 50  # events a second
SECONDS = 60
CHANNELS = 100


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/bench.db"
        if url.startswith("postgres"):
            url = stack.enter_context(scratch_schema(url, "bench"))
        with Harness(url, limits=SlackLimits(scale=100), background=True) as harness:
            sim = harness.sim
            channels = [sim.add_channel(f"load-{n}", members=[TEAM[0].id], bot_member=True) for n in range(CHANNELS)]
            sent: dict[str, float] = {}
            answered: dict[str, float] = {}
            lock = threading.Lock()

            def on_reply(kind: str, item: dict[str, Any]) -> None:
                if kind == "message" and item.get("user") == sim.bot_user_id and item.get("thread_ts") in sent:
                    with lock:
                        answered.setdefault(item["thread_ts"], time.monotonic())

            sim.observe(on_reply)
            messages = [sim.post(channels[n % CHANNELS], TEAM[0].id, "<@U0BOT0001> hi") for n in range(RATE * SECONDS)]

            def send(message: dict[str, Any]) -> None:
                event = {"type": "app_mention", **{k: message[k] for k in ("channel", "user", "text", "ts")}}
                sent[message["ts"]] = time.monotonic()
                response = harness.driver.send_event(event)
                assert response.status_code == 200

            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=16) as pool:
                for n, message in enumerate(messages):
                    time.sleep(max(0.0, started + n / RATE - time.monotonic()))
                    pool.submit(send, message)
            deadline = time.monotonic() + 60
            while len(answered) < len(messages) and time.monotonic() < deadline:
                time.sleep(0.1)
            latencies = sorted((answered[ts] - sent[ts]) * 1000 for ts in answered)
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            print(f"{harness.bot.ctx.db.engine.dialect.name}: {len(messages):,} events at {RATE}/s over {SECONDS} s")
            print(
                f"  answered {len(latencies):,}; event to effect: p50 {statistics.median(latencies):.0f} ms, "
                f"p99 {p99:.0f} ms, max {latencies[-1]:.0f} ms"
            )


if __name__ == "__main__":
    main()
