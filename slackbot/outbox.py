"""Record, then speak: every effect on Slack, GitLab or PagerDuty is an outbox row, written in the
transaction that decided it, and delivered after that transaction commits.

Delivery rules:
- Rows of one lane (a channel, a person's DM, an incident's PagerDuty events) go out one at a time,
  in the order they were decided. A reply or an update therefore finds the post it belongs to
  already delivered, and takes that post's ts from ``slack_messages``.
- Among the lanes' heads, priority decides: pages first, App Home republishes last.
- Only the holder of the scheduler lease delivers. Slack's limits are per app and workspace, so one
  deliverer can pace every call in memory, and lanes stay ordered without coordination.
- A row is claimed (``sending``) in its own short transaction before the call and marked done in
  another right after it. A crash between the two leaves it ``sending``; the next deliverer sends
  it again; a post carries its row's ID in Slack message metadata and is looked for first, so only
  a call that leaves no trace (an update, a PagerDuty event) may repeat. Calls time out well before
  the lease expires, and a holder stops claiming when its lease is close to expiry, so two
  deliverers never overlap.
- Transient failures (5xx, timeouts, connection errors) are retried with backoff and parked after
  ``max_attempts``; a 429 waits in memory for its ``Retry-After`` without counting as a failure;
  permanent refusals are dropped (bad content) or parked (configuration an operator can fix).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from slackbot.clock import Clock
from slackbot.db import Database
from slackbot.metrics import Metrics
from slackbot.models import OutboxItem, SlackMessage
from slackbot.ratelimit import Call, Pacer

if TYPE_CHECKING:
    from slackbot.effects import Effect
    from slackbot.work import Work

log = logging.getLogger(__name__)
T = TypeVar("T")

LIVE = ("pending", "sending")
BATCH = 200
POLL_SECONDS = 0.2


class Priority(IntEnum):
    URGENT = 0  # incident pages, escalation pings, incident updates
    ALERT = 1  # status alerts
    NORMAL = 2  # everything else
    HOME = 3  # App Home republishes


def still_there(found: T | None, what: str) -> T:
    """What a delivery is about, read when it is sent (payloads carry IDs); deleted meanwhile, there
    is nothing to deliver: refused for good."""
    if found is None:
        raise Gone(f"the {what} is gone")
    return found


class DeliveryError(Exception):
    """A delivery did not happen; which kind of error it is says what becomes of its row. Never raised
    itself: one of ``TryAgain`` (and ``RateLimited``), ``NeedsOperator``, ``Refused`` (and ``Gone``)."""

    retryable: ClassVar[bool] = False  # put back in line with backoff (parked after the sender's tries)
    park: ClassVar[bool] = False  # kept for an operator (``fulfillbot parked``) instead of dropped
    gone: ClassVar[bool] = False  # what it was about no longer exists: dropped with a warning, not an error
    refused: Call | None = None  # a 429: the call waits ``retry_after`` and it does not count as a try
    retry_after: float = 0.0
    maybe_sent: bool = False  # the call may have taken effect (a timeout): look before sending again


class TryAgain(DeliveryError):
    """No answer, a 5xx, or what is not ready yet: tried again later."""

    retryable = True

    def __init__(self, message: str, *, maybe_sent: bool = False):
        super().__init__(message)
        self.maybe_sent = maybe_sent


class RateLimited(TryAgain):
    """Slack's 429: the refused call (a method, or a channel's posts) waits ``retry_after``."""

    def __init__(self, message: str, call: Call, retry_after: float):
        super().__init__(message)
        self.refused, self.retry_after = call, retry_after


class NeedsOperator(DeliveryError):
    """Refused for a reason an operator can fix (``not_in_channel``, ``missing_scope``, a token): parked."""

    park = True


class Refused(DeliveryError):
    """Refused for good, nothing to fix (bad content, no such user group): dropped."""


class Gone(Refused):
    """What it was about no longer exists (a message deleted, an expired response URL): dropped."""

    gone = True


@dataclass(frozen=True)
class Backoff:
    first: timedelta = timedelta(seconds=2)
    longest: timedelta = timedelta(minutes=5)

    def after(self, attempts: int) -> timedelta:
        return min(self.first * 2 ** max(0, attempts - 1), self.longest)


@dataclass(frozen=True)
class Delivery:
    """A row as its sender sees it."""

    id: int
    kind: str
    args: dict[str, Any]
    lane: str
    priority: int
    ref: str | None
    attempts: int
    maybe_sent: bool  # an earlier attempt may have reached Slack (cut off by a crash, or timed out)

    @property
    def urgent(self) -> bool:
        return self.priority <= Priority.ALERT


@dataclass(frozen=True)
class Sender:
    """How one kind of effect is delivered. ``send`` makes the remote call(s) outside any
    transaction; ``done``, ``failed`` and ``retrying`` record what follows, in a unit of work."""

    send: Callable[[Delivery], dict[str, Any] | None]
    calls: Callable[[Delivery], list[Call]] = lambda _delivery: []
    done: Callable[[Work, Delivery, dict[str, Any]], None] | None = None
    failed: Callable[[Work, Delivery, str], None] | None = None
    retrying: Callable[[Work, Delivery, str], None] | None = None
    backoff: Backoff = Backoff()
    max_attempts: int = 50


class Effects:
    """What one unit of work decided to send; rows join its transaction."""

    def __init__(self, session: Session, now: datetime):
        self.session = session
        self.now = now
        self.added = 0

    def add_effect(self, effect: Effect, **routing: Any) -> OutboxItem | None:
        """Queue a typed effect (``slackbot.effects``); ``routing`` as for ``add``."""
        return self.add(effect.KIND, effect.encode(), **routing)

    def add(
        self,
        kind: str,
        args: dict[str, Any],
        *,
        lane: str,
        priority: Priority = Priority.NORMAL,
        ref: str | None = None,
        group: str | None = None,
        key: str | None = None,
        coalesce: str | None = None,
        wait_for: str | None = None,
        wait_at_most: timedelta | None = None,
    ) -> OutboxItem | None:
        """Queue an effect. With ``key``, a second row with the same key is not added (None). With
        ``coalesce``, a pending row of the same name takes these args instead of a new row being added.
        ``wait_for`` holds it until that message ref is posted, or ``wait_at_most`` has passed."""
        if coalesce is not None:
            pending = self.session.scalar(
                select(OutboxItem)
                .where(OutboxItem.coalesce == coalesce, OutboxItem.state == "pending")
                .with_for_update()
            )
            if pending is not None:
                pending.args, pending.priority = args, min(pending.priority, int(priority))
                return pending
        item = OutboxItem(
            kind=kind,
            args=args,
            lane=lane,
            priority=int(priority),
            key=key,
            ref=ref,
            group=group,
            coalesce=coalesce,
            wait_for=wait_for,
            wait_until=self.now + wait_at_most if wait_at_most is not None else None,
            state="pending",
            attempts=0,
            next_attempt_at=self.now,
            last_error="",
            created_at=self.now,
        )
        if key is not None:
            try:
                with self.session.begin_nested():
                    self.session.add(item)
            except IntegrityError:
                return None
        else:
            self.session.add(item)
        self.added += 1
        return item

    def in_group(self, group: str) -> list[OutboxItem]:
        return list(self.session.scalars(select(OutboxItem).where(OutboxItem.group == group).order_by(OutboxItem.id)))

    def cancel(self, group: str) -> list[OutboxItem]:
        """Cancel the group's rows not yet claimed; returns the rows that were sent or are being sent."""
        rows = self.in_group(group)
        for row in rows:
            if row.state == "pending":
                row.state = "cancelled"
        return [r for r in rows if r.state in ("sending", "done")]


class Outbox:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        metrics: Metrics,
        pacer: Pacer,
        holder: str,
        may_deliver: Callable[[], bool],
        workers: int = 8,
    ):
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.pacer = pacer
        self.holder = holder
        self.may_deliver = may_deliver
        self.senders: dict[str, Sender] = {}
        self.feeders: list[Callable[[], None]] = []
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver")
        self._inflight: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._reclaimed = False
        self.paced_for: float | None = None  # seconds until the next row held back by pacing may go

    def add_feeder(self, feeder: Callable[[], None]) -> None:
        """``feeder()`` runs at the start of each delivery cycle, to queue work marked elsewhere
        (the App Home's stale pages)."""
        self.feeders.append(feeder)

    def register(self, kind: str, sender: Sender) -> None:
        if kind in self.senders:
            raise ValueError(f"outbox kind {kind!r} is registered twice")
        self.senders[kind] = sender

    # ----- units of work ------------------------------------------------------------------------------

    @contextmanager
    def work(self) -> Iterator[Work]:
        """A transaction with an outbox: its effects are delivered once it commits."""
        from slackbot.work import Work

        with self.db.transaction() as session:
            now = self.clock.now()
            unit = Work(session, now, Effects(session, now))
            yield unit
        if unit.out.added:
            self.wake()

    def wake(self) -> None:
        self._wake.set()

    # ----- one delivery cycle ---------------------------------------------------------------------

    def deliver_due(self) -> int:
        """Claim and start sending what is due now and allowed by Slack's pace; returns how many."""
        if not self.may_deliver():
            self._reclaimed = False
            return 0
        if not self._reclaimed:
            self.reclaim_interrupted()
            self._reclaimed = True
        for feeder in self.feeders:
            try:
                feeder()
            except Exception:
                log.warning("an outbox feeder failed; trying again on the next cycle", exc_info=True)
        now = self.clock.now()
        candidates = self._due(now)
        chosen = [d for d in candidates if self.pacer.take(self._calls(d))]
        paced = [self.pacer.ready_in(self._calls(d)) for d in candidates if d not in chosen]
        self.paced_for = min(paced) if paced else None
        claimed = self._claim(chosen)
        for delivery in claimed:
            future = self._pool.submit(self._deliver, delivery)
            with self._lock:
                self._inflight.add(future)
            future.add_done_callback(self._finished)
        return len(claimed)

    def _due(self, now: datetime) -> list[Delivery]:
        earlier = aliased(OutboxItem)
        blocked = exists().where(earlier.lane == OutboxItem.lane, earlier.id < OutboxItem.id, earlier.state.in_(LIVE))
        query = (
            select(OutboxItem)
            .where(OutboxItem.state == "pending", OutboxItem.next_attempt_at <= now, ~blocked)
            .order_by(OutboxItem.priority, OutboxItem.id)
            .limit(BATCH)
        )
        with self.db.reading() as session:
            rows = list(session.scalars(query))
            waiting: set[str | None] = {
                r.wait_for for r in rows if r.wait_for and (r.wait_until is None or r.wait_until > now)
            }
            unresolved = self._unresolved(session, waiting)
            return [
                _delivery(r) for r in rows if r.wait_for not in unresolved or (r.wait_until and r.wait_until <= now)
            ]

    @staticmethod
    def _unresolved(session: Session, refs: set[str | None]) -> set[str | None]:
        """Of these message refs, those not posted yet whose post is still on its way."""
        if not refs:
            return set()
        posted = set(session.scalars(select(SlackMessage.ref).where(SlackMessage.ref.in_(refs))))
        coming = set(
            session.scalars(select(OutboxItem.ref).where(OutboxItem.ref.in_(refs), OutboxItem.state.in_(LIVE)))
        )
        return {r for r in refs if r not in posted and r in coming}

    def _calls(self, delivery: Delivery) -> list[Call]:
        sender = self.senders.get(delivery.kind)
        return sender.calls(delivery) if sender is not None else []

    def _claim(self, chosen: list[Delivery]) -> list[Delivery]:
        if not chosen:
            return []
        ids = [d.id for d in chosen]
        with self.db.transaction() as session:
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(ids), OutboxItem.state == "pending")
                .values(state="sending", claimed_by=self.holder)
                .execution_options(synchronize_session=False)
            )
            mine = set(
                session.scalars(
                    select(OutboxItem.id).where(
                        OutboxItem.id.in_(ids), OutboxItem.state == "sending", OutboxItem.claimed_by == self.holder
                    )
                )
            )
        return [d for d in chosen if d.id in mine]

    def _finished(self, future: Future[None]) -> None:
        with self._lock:
            self._inflight.discard(future)
        self.wake()

    # ----- one delivery ---------------------------------------------------------------------------------

    def _deliver(self, delivery: Delivery) -> None:
        sender = self.senders.get(delivery.kind)
        if sender is None:
            self._settle(delivery, None, Refused(f"no sender for kind {delivery.kind!r}"))
            return
        started = time.perf_counter()
        try:
            result = sender.send(delivery) or {}
        except DeliveryError as exc:
            self._settle(delivery, sender, exc)
        except Exception as exc:
            log.exception("delivering outbox item %s (%s) failed", delivery.id, delivery.kind)
            self._settle(delivery, sender, TryAgain(f"{type(exc).__name__}: {exc}"))
        else:
            self._done(delivery, sender, result)
        finally:
            self.metrics.delivery_seconds.labels(delivery.kind).observe(time.perf_counter() - started)

    def _done(self, delivery: Delivery, sender: Sender, result: dict[str, Any]) -> None:
        try:
            with self.work() as unit:
                self._mark_done(unit, delivery, result)
                if sender.done is not None:
                    sender.done(unit, delivery, result)
        except Exception:
            log.exception("recording the delivery of outbox item %s failed; marking it sent", delivery.id)
            with self.work() as unit:
                self._mark_done(unit, delivery, result)
        self.metrics.outbox_delivered.labels(delivery.kind).inc()

    def _mark_done(self, unit: Work, delivery: Delivery, result: dict[str, Any]) -> None:
        row = unit.session.get(OutboxItem, delivery.id)
        if row is None:
            return
        row.state, row.sent_at, row.result = "done", unit.now, result
        channel, ts = result.get("channel"), result.get("ts")
        if delivery.ref and channel and ts:
            unit.session.merge(
                SlackMessage(ref=delivery.ref, lane=delivery.lane, channel=str(channel), ts=str(ts), posted_at=unit.now)
            )

    def _settle(self, delivery: Delivery, sender: Sender | None, error: DeliveryError) -> None:
        """Put a failed delivery back in line, or park or drop it, and tell its capability."""
        text = str(error)[:1000]
        if error.refused is not None:
            self.pacer.refused(error.refused, error.retry_after)
            self.metrics.outbox_rate_limited.labels(error.refused.method).inc()
        with self.work() as unit:
            row = unit.session.get(OutboxItem, delivery.id, with_for_update=True)
            if row is None or row.state != "sending":
                return
            row.last_error = text
            if error.maybe_sent:
                row.result = {"maybe_sent": True}
            if error.refused is not None:
                row.state = "pending"
                return
            row.attempts += 1
            limit = sender.max_attempts if sender is not None else 1
            if error.retryable and row.attempts < limit:
                backoff = sender.backoff if sender is not None else Backoff()
                row.state, row.next_attempt_at = "pending", unit.now + backoff.after(row.attempts)
                log.warning("outbox item %s (%s) failed (%s); retrying", row.id, row.kind, text)
                if sender is not None and sender.retrying is not None:
                    sender.retrying(unit, delivery, text)
                return
            row.state = "parked" if error.park or error.retryable else "dropped"
            log.log(
                logging.WARNING if error.gone else logging.ERROR,
                "outbox item %s (%s) %s: %s",
                row.id,
                row.kind,
                row.state,
                text,
            )
            self.metrics.outbox_failed.labels(row.kind, row.state).inc()
            if sender is not None and sender.failed is not None:
                sender.failed(unit, delivery, text)

    def reclaim_interrupted(self) -> int:
        """Rows left ``sending`` by a deliverer that stopped go back in line (their one call may repeat)."""
        with self.db.transaction() as session:
            rows = list(session.scalars(select(OutboxItem).where(OutboxItem.state == "sending").with_for_update()))
            with self._lock:
                busy = bool(self._inflight)
            for row in rows:
                if busy and row.claimed_by == self.holder:
                    continue
                row.state, row.last_error = "pending", f"interrupted while {row.claimed_by} was sending it"
                row.result = {"maybe_sent": True}
        if rows:
            log.warning("%d outbox item(s) were being sent when their deliverer stopped; sending again", len(rows))
        return len(rows)

    # ----- running ------------------------------------------------------------------------------------

    def idle(self) -> bool:
        with self._lock:
            return not self._inflight

    def wait_inflight(self, timeout: float = 60) -> None:
        with self._lock:
            pending = list(self._inflight)
        if pending:
            _, not_done = wait(pending, timeout=timeout)
            if not_done:
                raise TimeoutError(f"{len(not_done)} deliveries still running after {timeout}s")

    def drain(self, timeout: float = 60) -> None:
        """Deliver until nothing is due now (tests and the demo; production runs ``start``)."""
        deadline = time.monotonic() + timeout
        while True:
            started = self.deliver_due()
            self.wait_inflight(max(1.0, deadline - time.monotonic()))
            if not started and self.paced_for is None:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the outbox did not drain")
            if not started and self.paced_for is not None:
                time.sleep(min(self.paced_for, 1.0) + 0.001)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.deliver_due()
            except Exception:
                log.warning("outbox delivery cycle failed; trying again", exc_info=True)
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def stop(self, timeout: float = 15) -> None:
        """Stop claiming; let what is in flight finish, so nothing is left half-sent."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            self.wait_inflight(timeout)
        except TimeoutError:
            log.warning("some deliveries were still running at shutdown; they will be sent again")
        self._pool.shutdown(wait=False, cancel_futures=True)


def _delivery(row: OutboxItem) -> Delivery:
    return Delivery(
        id=row.id,
        kind=row.kind,
        args=dict(row.args),
        lane=row.lane,
        priority=row.priority,
        ref=row.ref,
        attempts=row.attempts,
        maybe_sent=bool(row.result and row.result.get("maybe_sent")),
    )
