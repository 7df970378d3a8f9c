"""Scheduled work: APScheduler is only the clock that calls ``tick``.

Every job is "look in the database for what is due at ``now`` and do it", so a missed tick or a
restart loses nothing. A lease row decides which process (of several replicas or gunicorn workers)
does the work; it is renewed before every job and taken over once it expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import CursorResult, or_, update
from sqlalchemy.exc import IntegrityError

from slackbot.clock import Clock
from slackbot.db import Database
from slackbot.metrics import Metrics
from slackbot.models import SchedulerLease

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"


def default_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_ttl(tick: timedelta) -> timedelta:
    """Three ticks: a holder that misses two renewals in a row is presumed dead."""
    return max(3 * tick, timedelta(seconds=3))


class Lease:
    def __init__(self, db: Database, clock: Clock, holder: str, ttl: timedelta):
        self.db = db
        self.clock = clock
        self.holder = holder
        self.ttl = ttl

    def acquire(self) -> bool:
        """Take the lease if it is free or expired, renew it if it is ours; True while we hold it."""
        now = self.clock.now()
        with self.db.transaction() as session:
            taken = session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == LEASE_NAME)
                .where(or_(SchedulerLease.holder == self.holder, SchedulerLease.expires_at < now))
                .values(holder=self.holder, expires_at=now + self.ttl)
                .execution_options(synchronize_session=False)
            )
            assert isinstance(taken, CursorResult)
            if taken.rowcount == 1:
                return True
            if session.get(SchedulerLease, LEASE_NAME) is not None:
                return False
        try:
            with self.db.transaction() as session:
                session.add(
                    SchedulerLease(name=LEASE_NAME, holder=self.holder, expires_at=now + self.ttl, acquired_at=now)
                )
            return True
        except IntegrityError:
            return False

    def release(self) -> None:
        """Let another process take over at once instead of waiting for expiry."""
        with self.db.transaction() as session:
            session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == self.holder)
                .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
                .execution_options(synchronize_session=False)
            )

    def current_holder(self) -> str | None:
        with self.db.reading() as session:
            row = session.get(SchedulerLease, LEASE_NAME)
            if row is None or row.expires_at < self.clock.now():
                return None
            return row.holder


DueWork = Callable[[datetime], None]


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    run: DueWork


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        tick_interval: timedelta,
        metrics: Metrics,
        holder: str | None = None,
    ):
        self.clock = clock
        self.tick_interval = tick_interval
        self.metrics = metrics
        self.lease = Lease(db, clock, holder or default_holder_id(), lease_ttl(tick_interval))
        self.jobs: list[ScheduledJob] = []
        self._tick_lock = threading.Lock()
        self._background: BackgroundScheduler | None = None

    def add(self, name: str, run: DueWork) -> None:
        self.jobs.append(ScheduledJob(name, run))

    def tick(self) -> bool:
        """Run every job's due work if we hold the lease; True when we did."""
        if not self._tick_lock.acquire(blocking=False):
            return False
        try:
            if not self._hold_lease():
                return False
            for index, job in enumerate(self.jobs):
                if index and not self._hold_lease():
                    return False
                self._run(job)
            return True
        finally:
            self._tick_lock.release()

    def _hold_lease(self) -> bool:
        try:
            held = self.lease.acquire()
        except Exception:
            log.warning("could not reach the database to renew the scheduler lease", exc_info=True)
            held = False
        self.metrics.lease_holder.set(1 if held else 0)
        return held

    def _run(self, job: ScheduledJob) -> None:
        try:
            with self.metrics.job_seconds.labels(job.name).time():
                job.run(self.clock.now())
        except Exception:
            self.metrics.job_failures.labels(job.name).inc()
            log.exception("scheduled job %s failed; its due work stays due for the next tick", job.name)

    def start(self) -> None:
        self._background = BackgroundScheduler(timezone=UTC)
        self._background.add_job(
            self.tick,
            IntervalTrigger(seconds=self.tick_interval.total_seconds()),
            id="tick",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        self._background.start()
        log.info("scheduler started: tick every %ss as %s", self.tick_interval.total_seconds(), self.lease.holder)

    def shutdown(self) -> None:
        if self._background is not None:
            self._background.shutdown(wait=True)
            self._background = None
        try:
            self.lease.release()
        except Exception:
            log.warning("could not release the scheduler lease", exc_info=True)
