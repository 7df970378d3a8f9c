"""Scheduled work: APScheduler is only the clock that calls ``tick``.

Every job is "look in the database for what is due at ``now``, decide, and record the decision
with its outbox rows", so a missed tick or a restart loses nothing. A lease row decides which
process (of several replicas or gunicorn workers) does the work and delivers the outbox; it is
renewed once per tick (and by the deliverer when a tick is late), and taken over once it expires.

Jobs run in priority order (escalation first). Jobs that wait on the network (health probes,
GitLab sweeps, the Slack profile sweep) are ``background``: each tick starts them on a pool of
their own if their previous run has finished, so a slow endpoint never delays a page.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
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
from slackbot.outbox import Priority

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
RENEW_MARGIN = timedelta(seconds=12)  # stop claiming deliveries this long before the lease ends


def default_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_ttl(tick: timedelta) -> timedelta:
    """Three ticks: a holder that misses two renewals in a row is presumed dead. Another process
    notices on its own next tick, so a takeover comes at most four ticks after the last renewal."""
    return max(3 * tick, timedelta(seconds=3))


class Lease:
    def __init__(self, db: Database, clock: Clock, holder: str, ttl: timedelta):
        self.db = db
        self.clock = clock
        self.holder = holder
        self.ttl = ttl
        self.held_until: datetime | None = None

    def acquire(self) -> bool:
        """Take the lease if it is free or expired, renew it if it is ours; True while we hold it."""
        now = self.clock.now()
        try:
            held = self._acquire(now)
        except Exception:
            log.warning("could not reach the database to renew the scheduler lease", exc_info=True)
            held = False
        self.held_until = now + self.ttl if held else None
        return held

    def _acquire(self, now: datetime) -> bool:
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

    def holding(self) -> bool:
        """True while this process may do scheduled work and deliver: it holds the lease with enough
        of it left for a delivery to finish; a holder close to expiry renews it first."""
        if self.held_until is None:
            return False
        if self.clock.now() < self.held_until - min(RENEW_MARGIN, self.ttl / 3):
            return True
        return self.acquire()

    def release(self) -> None:
        """Let another process take over at once instead of waiting for expiry."""
        self.held_until = None
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
    priority: Priority
    background: bool


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
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="background-job")
        self._running: dict[str, Future[None]] = {}

    def add(self, name: str, run: DueWork, priority: Priority = Priority.NORMAL, background: bool = False) -> None:
        self.jobs.append(ScheduledJob(name, run, priority, background))
        self.jobs.sort(key=lambda job: job.priority)

    def tick(self) -> bool:
        """Renew the lease once; if we hold it, run every job's due work. True when we did."""
        if not self._tick_lock.acquire(blocking=False):
            return False
        try:
            held = self.lease.acquire()
            self.metrics.lease_holder.set(1 if held else 0)
            if not held:
                return False
            now = self.clock.now()
            for job in self.jobs:
                if job.background:
                    self._start(job, now)
                else:
                    self._run(job, now)
            return True
        finally:
            self._tick_lock.release()

    def _run(self, job: ScheduledJob, now: datetime) -> None:
        try:
            with self.metrics.job_seconds.labels(job.name).time():
                job.run(now)
        except Exception:
            self.metrics.job_failures.labels(job.name).inc()
            log.exception("scheduled job %s failed; its due work stays due for the next tick", job.name)

    def _start(self, job: ScheduledJob, now: datetime) -> None:
        running = self._running.get(job.name)
        if running is not None and not running.done():
            return
        self._running[job.name] = self._pool.submit(self._run, job, now)

    def wait_background(self, timeout: float = 60) -> None:
        """Tests and the demo: wait for the background jobs started so far."""
        running = [f for f in self._running.values() if not f.done()]
        if running:
            _, not_done = wait(running, timeout=timeout)
            if not_done:
                raise TimeoutError(f"{len(not_done)} background job(s) still running after {timeout}s")

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

    def shutdown(self, release: bool = True) -> None:
        """Stop ticking. ``release`` hands the lease over at once; the bot releases it itself only once
        its deliveries in flight have finished."""
        if self._background is not None:
            self._background.shutdown(wait=True)
            self._background = None
        self._pool.shutdown(wait=True, cancel_futures=True)
        if release:
            self.release()

    def release(self) -> None:
        try:
            self.lease.release()
        except Exception:
            log.warning("could not release the scheduler lease", exc_info=True)
