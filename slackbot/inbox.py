"""The inbox: every Events API delivery and GitLab webhook is stored (one row, keyed by its event or
delivery ID) and committed before the bot answers 2xx, then processed off the request.

Slack redelivers an event only when the answer is late or not 2xx, so what was stored is all the
bot will ever get: processing retries with backoff until it succeeds, and an item that keeps
failing is parked after ``MAX_ATTEMPTS`` (``fulfillbot parked`` shows it, and can put it back).
Processing an item and the effects it decides commit together with the item's "done" mark, so a
repeated delivery, a second processor or a retry after a crash never has a second effect.

Storing is one INSERT of the raw body. Most events concern no capability (a message in a channel
nobody tracks): those are stored already done, and cost nothing more. The rest are processed by a
small pool, in batches: one transaction per batch, one savepoint per item, so one item's failure
leaves the others done.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from slackbot.clock import Clock
from slackbot.db import Database
from slackbot.metrics import Metrics
from slackbot.models import InboxItem, ProcessedKey
from slackbot.outbox import Outbox
from slackbot.payload import json_object
from slackbot.work import Work

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(minutes=10)
SWEEP_GRACE = timedelta(seconds=30)  # the receiving process processes at once; the sweep is for the rest
BATCH = 50
REQUEST_KEY = "slack-request:"  # processed keys that stand for a command or interaction seen
PROCESSORS = 2  # on PostgreSQL; on SQLite one, as writers take turns anyway (``db.WriteTurn``)


PENDING = (  # built once: every batch asks it; in the order the items came
    select(InboxItem)
    .where(InboxItem.id.in_(bindparam("ids", expanding=True)), InboxItem.state == "pending")
    .order_by(InboxItem.id)
    .with_for_update()
)


class _ItemFailed(Exception):
    """An item of a batch run without savepoints failed: the batch runs again, item by item."""


class Rejected(Exception):
    """The item can never be processed (its payload is not what its kind promises): dropped, not retried."""


@dataclass(frozen=True)
class InboxEvent:
    """A stored item as a handler sees it."""

    source: str
    kind: str
    payload: dict[str, Any]
    key: str


Handler = Callable[[Work, InboxEvent], None]
Matcher = Callable[[dict[str, Any]], bool]


@dataclass
class Route:
    handler: Handler
    matches: Matcher | None = None


@dataclass
class Router:
    """Handlers per (source, kind): a Slack event type, or a GitLab ``object_kind``."""

    routes: dict[tuple[str, str], list[Route]] = field(default_factory=dict)

    def on(self, source: str, kind: str, handler: Handler, matches: Matcher | None = None) -> None:
        self.routes.setdefault((source, kind), []).append(Route(handler, matches))

    def wanted(self, source: str, kind: str, payload: dict[str, Any]) -> list[Route]:
        return [r for r in self.routes.get((source, kind), []) if r.matches is None or r.matches(payload)]

    def dispatch(self, work: Work, item: InboxEvent) -> None:
        for route in self.wanted(item.source, item.kind, item.payload):
            route.handler(work, item)


class Inbox:
    def __init__(self, db: Database, clock: Clock, metrics: Metrics, outbox: Outbox):
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.outbox = outbox
        self.router = Router()
        table = InboxItem.__table__
        assert isinstance(table, Table)
        self._insert = insert(table).returning(table.c.id)  # built once, on the table: the hot path
        self._claim_request = insert(ProcessedKey)
        self._queue: queue.Queue[int] = queue.Queue()
        self._busy = 0
        self._lock = threading.Condition()
        self._threads = [
            threading.Thread(target=self._work_queue, name=f"inbox-{n}", daemon=True)
            for n in range(1 if db.url.startswith("sqlite") else PROCESSORS)
        ]
        for thread in self._threads:
            thread.start()

    def first_request(self, signature: str) -> bool:
        """Whether a command or an interaction is new. They carry no ID of their own, and Slack never
        sends one twice, so the same signed body again (within the replay window the signature
        allows) is a replay: its signature is recorded once, and a repeat takes no effect."""
        key = REQUEST_KEY + hashlib.sha256(signature.encode()).hexdigest()[:40]
        try:
            with self.db.statement() as conn:  # one INSERT, as the hot path stores an event
                conn.execute(self._claim_request, {"key": key, "processed_at": self.clock.now()})
        except IntegrityError:
            return False
        return True

    def store(self, source: str, kind: str, key: str, payload: dict[str, Any], raw: str | None = None) -> int | None:
        """Commit the item and hand it to the processors; None when its key was stored before (a
        repeat). Raises when the database cannot store it, so the caller answers 5xx and the sender
        delivers it again. An item no capability wants is stored as done."""
        now = self.clock.now()
        wanted = bool(self.router.wanted(source, kind, payload))
        row = {
            "key": key,
            "source": source,
            "kind": kind,
            "payload": raw if raw is not None else json.dumps(payload),
            "received_at": now,
            "state": "pending" if wanted else "done",
            "attempts": 0,
            "next_attempt_at": now + SWEEP_GRACE,
            "last_error": "",
            "done_at": None if wanted else now,
        }
        try:
            with self.db.statement() as conn:
                item_id = conn.execute(self._insert, row).scalar_one()
        except IntegrityError:
            self.metrics.events_deduplicated.labels(source).inc()
            return None
        self.metrics.inbox_received.labels(source).inc()
        if wanted:
            self.process_soon(item_id)
        return int(item_id)

    # ----- processing -------------------------------------------------------------------------------

    def process_soon(self, item_id: int) -> None:
        with self._lock:
            self._busy += 1
        self._queue.put(item_id)

    def _work_queue(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.process_batch(batch)
            except Exception:
                log.exception("an inbox batch failed; its items are retried by the sweep")
            finally:
                with self._lock:
                    self._busy -= len(batch)
                    self._lock.notify_all()

    def process(self, item_id: int) -> bool:
        """Process one item if it is still pending; True when it was done now."""
        return self.process_batch([item_id]) == 1

    def process_batch(self, item_ids: list[int]) -> int:
        """Process these items in one unit of work; returns how many were done. The batch runs
        without savepoints first (the common case: nothing fails); if an item fails, that attempt is
        rolled back whole and the batch runs again with a savepoint per item, so the failing item
        rolls back alone and is retried later. When a request waits to store what Slack sent (SQLite's
        write turn), the batch ends after the item at hand and the rest is queued again: an answer to
        Slack never waits behind a whole batch."""
        try:
            return self._process(item_ids, isolated=False)
        except _ItemFailed:
            return self._process(item_ids, isolated=True)

    def _process(self, item_ids: list[int], isolated: bool) -> int:
        failures: list[tuple[int, str, str | None]] = []
        done: list[str] = []  # each done item's source
        with self.outbox.work() as work:
            rows = list(work.session.scalars(PENDING, {"ids": item_ids}))
            for position, item in enumerate(rows):
                if position and self.db.urgent_writer_waiting():
                    for later in rows[position:]:
                        self.process_soon(later.id)
                    break
                try:
                    with work.session.begin_nested() if isolated else nullcontext():
                        event = InboxEvent(item.source, item.kind, json_object(item.payload) or {}, item.key)
                        self.router.dispatch(work, event)
                        item.state, item.done_at = "done", work.now
                    done.append(item.source)
                except Exception as exc:
                    if not isolated:
                        raise _ItemFailed from exc
                    if isinstance(exc, Rejected):
                        failures.append((item.id, str(exc), "dropped"))
                    else:
                        log.warning("processing inbox item %s failed: %s", item.id, exc, exc_info=True)
                        failures.append((item.id, f"{type(exc).__name__}: {exc}", None))
        for source in done:
            self.metrics.inbox_processed.labels(source).inc()
        for item_id, error, final in failures:
            self._settle(item_id, error, final)
        return len(done)

    def _settle(self, item_id: int, error: str, final: str | None = None) -> None:
        with self.db.transaction() as session:
            item = session.get(InboxItem, item_id, with_for_update=True)
            if item is None or item.state != "pending":
                return
            item.attempts += 1
            item.last_error = error[:1000]
            if final is not None or item.attempts >= MAX_ATTEMPTS:
                item.state = final or "parked"
                self.metrics.inbox_failed.labels(item.source, item.state).inc()
                log.error("inbox item %s (%s %s) %s: %s", item.id, item.source, item.kind, item.state, error)
                return
            item.next_attempt_at = self.clock.now() + min(FIRST_RETRY * 2 ** (item.attempts - 1), LONGEST_RETRY)

    def idle(self) -> bool:
        with self._lock:
            return self._busy == 0

    def wait_idle(self, timeout: float = 30) -> None:
        """Tests and the demo: return once every item handed to the processors has been processed."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._busy == 0, timeout):
                raise TimeoutError(f"{self._busy} inbox item(s) still being processed after {timeout}s")

    def sweep(self, now: datetime) -> None:
        """Scheduled: hand every pending item whose time has come to the processors (retries, and items
        whose receiving process stopped before processing them)."""
        with self.db.reading() as session:
            due = list(
                session.scalars(
                    select(InboxItem.id)
                    .where(InboxItem.state == "pending", InboxItem.next_attempt_at <= now)
                    .order_by(InboxItem.id)
                    .limit(1000)
                )
            )
        for item_id in due:
            self.process_soon(item_id)
