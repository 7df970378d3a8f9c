import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from slackbot.clock import FakeClock
from slackbot.db import Database
from slackbot.metrics import Metrics
from slackbot.scheduler import Scheduler, lease_ttl

pytestmark = pytest.mark.both_databases

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TICK = timedelta(seconds=10)
WORKER = Path(__file__).with_name("lease_worker.py")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


def scheduler(db: Database, clock: FakeClock, holder: str) -> Scheduler:
    return Scheduler(db, clock, TICK, Metrics(), holder)


def test_the_lease_lasts_three_ticks() -> None:
    assert lease_ttl(timedelta(seconds=15)) == timedelta(seconds=45)


def test_only_one_scheduler_holds_the_lease_and_runs_jobs(db: Database) -> None:
    clock = FakeClock(T0)
    ran: list[tuple[str, datetime]] = []
    first, second = scheduler(db, clock, "first"), scheduler(db, clock, "second")
    first.add("record", lambda now: ran.append(("first", now)))
    second.add("record", lambda now: ran.append(("second", now)))
    assert first.tick()
    assert not second.tick()
    clock.advance(TICK)
    assert first.tick()
    assert not second.tick()
    assert ran == [("first", T0), ("first", T0 + TICK)]
    assert first.metrics.lease_holder._value.get() == 1
    assert second.metrics.lease_holder._value.get() == 0
    assert first.lease.current_holder() == "first"


def test_another_takes_over_once_the_holder_stops_renewing(db: Database) -> None:
    clock = FakeClock(T0)
    first, second = scheduler(db, clock, "first"), scheduler(db, clock, "second")
    assert first.tick()
    clock.advance(lease_ttl(TICK))
    assert not second.tick(), "the lease is still valid at its expiry instant"
    clock.advance(timedelta(seconds=1))
    assert second.tick()
    assert not first.tick(), "the old holder finds the lease taken"


def test_release_hands_over_at_once(db: Database) -> None:
    clock = FakeClock(T0)
    first, second = scheduler(db, clock, "first"), scheduler(db, clock, "second")
    assert first.tick()
    first.shutdown()
    assert second.tick()


def test_a_failing_job_does_not_stop_the_others(db: Database) -> None:
    clock = FakeClock(T0)
    ran: list[str] = []
    sched = scheduler(db, clock, "only")

    def broken(_now: datetime) -> None:
        raise RuntimeError("boom")

    sched.add("broken", broken)
    sched.add("fine", lambda _now: ran.append("fine"))
    assert sched.tick()
    assert ran == ["fine"]
    assert sched.metrics.job_failures.labels("broken")._value.get() == 1


class Worker:
    def __init__(self, database_url: str, holder: str):
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), database_url, holder],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.read() == "ready"

    def read(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def send_tick(self, when: datetime) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"tick {when.isoformat()}\n")
        self.process.stdin.flush()

    def tick(self, when: datetime) -> str:
        self.send_tick(when)
        return self.read()

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.mark.slow
def test_two_processes_one_holder_and_takeover_after_kill_9(db: Database, database_url: str) -> None:
    workers = {"a": Worker(database_url, "a"), "b": Worker(database_url, "b")}
    try:
        now = T0
        for _ in range(10):
            for worker in workers.values():
                worker.send_tick(now)
            answers = {name: worker.read() for name, worker in workers.items()}
            assert sorted(answers.values()) == ["held", "standby"], answers
            now += TICK
        holder = next(name for name, answer in answers.items() if answer == "held")
        survivor = workers["b" if holder == "a" else "a"]
        workers[holder].kill()
        assert survivor.tick(now) == "standby", "the dead holder's lease has not expired yet"
        assert survivor.tick(now - TICK + lease_ttl(TICK) + timedelta(seconds=1)) == "held"
    finally:
        for worker in workers.values():
            worker.stop()
