"""How long a scheduler tick takes with 5,000 standup participants and 100,000 tracked questions.

Run by hand: ``.venv/bin/python -m bench.bench_standup_tick [DATABASE_URL]``. The people are spread
over twelve timezones; 5,000 of the questions are open. Prints the first tick, which decides
everyone's prompt whose 09:30 has come (recorded in the outbox; their delivery is timed
separately, at the harness's fast Slack), then the median and worst of the following ticks, which
look for due prompts, reminders, summaries, nudges, escalations and everything else and find
nothing new.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from bench.data import questions
from handlers.questions.models import Question
from slackbot.config import Config, Person
from slackbot.models import OutboxItem
from slackbot.testing.databases import scratch_schema
from slackbot.testing.harness import Harness

PEOPLE = 5_000
QUESTIONS = 100_000
OPEN_EVERY = 20
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
            db = harness.bot.ctx.db
            for person in people:
                harness.sim.add_user(person.slack, person.slack.lower(), tz=person.timezone)
            with db.transaction() as session:
                session.execute(insert(Question), questions(QUESTIONS, OPEN_EVERY, NOW))
            scheduler = harness.bot.ctx.scheduler
            started = time.perf_counter()
            scheduler.tick()
            first = time.perf_counter() - started
            with db.reading() as session:
                decided = session.scalar(select(func.count()).select_from(OutboxItem)) or 0
            started = time.perf_counter()
            harness.settle()
            delivered = time.perf_counter() - started
            durations = []
            for _ in range(RUNS):
                harness.clock.advance(timedelta(seconds=15))
                started = time.perf_counter()
                scheduler.tick()
                durations.append(time.perf_counter() - started)
                harness.settle()
            dialect = db.engine.dialect.name
            print(f"{dialect}: {PEOPLE:,} people in {len(ZONES)} timezones, {QUESTIONS:,} questions, tick 15 s")
            print(f"first tick: {decided:,} DMs decided (outbox rows) in {first * 1000:.1f} ms")
            print(f"  their delivery to the simulated Slack (harness pace): {delivered:.1f} s")
            print(
                f"following ticks (nothing new due): median {statistics.median(durations) * 1000:6.1f} ms, "
                f"max {max(durations) * 1000:6.1f} ms"
            )


if __name__ == "__main__":
    main()
