"""A 5,000-person standup morning under Slack's rate limits, with an incident declared at the same moment.

Run by hand: ``.venv/bin/python -m bench.bench_morning [DATABASE_URL] [--scale N]``. The simulated
Slack applies Slack's limits (``chat.postMessage`` about one a second per channel with a burst of
three, 300 a minute for the workspace; the method tiers) and answers 429 with ``Retry-After``; the
bot paces itself to its own defaults. The deliverer runs its own loop in real time. Prints when
level 1 of the escalation was paged after the declaration, and when the last prompt went out.
``--scale`` runs both Slack and the bot N times faster (the default, 1, is Slack's real pace:
1,668 prompts take several minutes).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.incidents.config import EscalationLevel, IncidentsSection
from handlers.standups.models import StandupEntry
from slackbot.config import Config, Person
from slackbot.ratelimit import SlackLimits
from slackbot.testing.databases import scratch_schema
from slackbot.testing.harness import TEAM, Harness
from slackbot.testing.slack_sim import RateLimits

PEOPLE = 5_000
ZONES = [
    "Pacific/Auckland", "Australia/Sydney", "Asia/Tokyo", "Asia/Kolkata", "Europe/Moscow", "Europe/Berlin",
    "Europe/Madrid", "Europe/London", "America/Sao_Paulo", "America/New_York", "America/Chicago", "America/Los_Angeles",
]  # fmt: skip
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
JAMES, VITALY = TEAM[0].id, TEAM[1].id
STATUS = "s_fulfillment_status"
STATUS = "s_fulfillment_status"


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("database_url", nargs="?")
    options.add_argument("--scale", type=float, default=1.0)
    args = options.parse_args()
    people = [Person(slack=f"U{i:08d}", timezone=ZONES[i % len(ZONES)]) for i in range(PEOPLE)]
    policy = IncidentsSection(escalation=[EscalationLevel(users=[JAMES, VITALY], ack_timeout=timedelta(minutes=5))])
    config = Config.of(policy, people=people)
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        if url.startswith("postgres"):
            url = stack.enter_context(scratch_schema(url, "bench"))
        limits = replace(SlackLimits(), scale=args.scale)
        with Harness(url, config, start=NOW, limits=limits, background=True) as harness:
            for person in people:
                harness.sim.add_user(person.slack, person.slack.lower(), tz=person.timezone)
            harness.sim.enforce_rate_limits(RateLimits(scale=args.scale))
            started = time.monotonic()
            morning = threading.Thread(target=harness.bot.ctx.scheduler.tick)  # the prompts are decided...
            morning.start()
            harness.driver.command(TEAM[2].id, "/incident", "declare Renewals fail sev1", channel=STATUS)
            declared = time.monotonic()  # ...while an incident is declared
            morning.join()
            while not (harness.sim.dms(JAMES) and harness.sim.dms(VITALY)):
                time.sleep(0.01)
            paged = time.monotonic()
            with harness.bot.ctx.db.reading() as session:
                prompted = list(session.scalars(select(StandupEntry.user_id)))
            while sum(1 for user in prompted if harness.sim.dms(user)) < len(prompted):
                time.sleep(0.5)
            done = time.monotonic()
            sent = sum(len(harness.sim.dms(user)) for user in prompted)
            refused = len(harness.sim.refusals)
            print(f"{harness.bot.ctx.db.engine.dialect.name}: {PEOPLE:,} people, Slack's limits x{args.scale:g}")
            print(f"  the incident declared {declared - started:.2f} s after the morning's tick began")
            print(f"  level 1 paged {paged - declared:.2f} s after the declaration")
            print(f"  every prompt out {done - started:.0f} s after the tick: {sent:,} DMs, {refused:,} refused (429)")


if __name__ == "__main__":
    main()
