"""A scheduler process for the lease tests: ``tick ISO-TIME`` on stdin runs one tick at that time.

Answers ``held`` or ``standby`` per tick, so the test moves time for each process without sleeping.
"""

import sys
from datetime import datetime, timedelta

from slackbot.clock import FakeClock
from slackbot.db import Database
from slackbot.metrics import Metrics
from slackbot.scheduler import Scheduler


def main(database_url: str, holder: str) -> None:
    clock = FakeClock(datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    scheduler = Scheduler(Database(database_url), clock, timedelta(seconds=10), Metrics(), holder)
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, when = line.strip().partition(" ")
        if command == "tick":
            clock.set(datetime.fromisoformat(when))
            print("held" if scheduler.tick() else "standby", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
