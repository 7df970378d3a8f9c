"""How long a scheduler tick takes with 5,000 standup participants.

Run by hand: ``.venv/bin/python bench/bench_standup_tick.py [DATABASE_URL]``. The people are spread
over twelve timezones. Prints the time of the first tick, which prompts everyone whose 09:30 has
come and reminds those whose reminder is due (DMs to the simulated Slack included), then the
median of the following ticks, which look for due prompts, reminders and summaries among all
5,000 and have nothing left to send.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from slackbot.config import Config, Person
from slackbot.testing.databases import scratch_schema
from slackbot.testing.harness import Harness

PEOPLE = 5_000
ZONES = [
    "Pacific/Auckland", "Australia/Sydney", "Asia/Tokyo", "Asia/Kolkata", "Europe/Moscow", "Europe/Berlin",
    "Europe/Madrid", "Europe/London", "America/Sao_Paulo", "America/New_York", "America/Chicago", "America/Los_Angeles",
]  # fmt: skip
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday: 09:30 has passed from Moscow westwards to London
RUNS = 20


def main() -> None:
    people = [Person(slack=f"U{i:08d}", timezone=ZONES[i % len(ZONES)]) for i in range(PEOPLE)]
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/bench.db"
        if url.startswith("postgres"):
            url = stack.enter_context(scratch_schema(url, "bench"))
        with Harness(url, Config(people=people), start=NOW) as harness:
            for person in people:
                harness.sim.add_user(person.slack, person.slack.lower(), tz=person.timezone)
            started = time.perf_counter()
            harness.tick()
            first = time.perf_counter() - started
            prompted = len(harness.sim.calls_to("chat.postMessage"))
            durations = []
            for _ in range(RUNS):
                harness.clock.advance(timedelta(seconds=15))
                started = time.perf_counter()
                harness.tick()
                durations.append(time.perf_counter() - started)
            dialect = harness.bot.ctx.db.engine.dialect.name
            print(f"{dialect}: {PEOPLE:,} people in {len(ZONES)} timezones, scheduler tick 15 s")
            print(f"first tick, {prompted:,} DMs sent (prompts and reminders): {first * 1000:8.1f} ms")
            print(
                f"following ticks (nothing new due): median {statistics.median(durations) * 1000:6.1f} ms, "
                f"max {max(durations) * 1000:6.1f} ms"
            )


if __name__ == "__main__":
    main()
