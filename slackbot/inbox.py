"""The inbox: every Events API delivery and GitLab webhook is stored (one row, keyed by its event or
delivery ID) and committed before the bot answers 2xx, then processed off the request.

Slack redelivers an event only when the answer is late or not 2xx, so what was stored is all the
bot will ever get: processing retries with backoff until it succeeds, and an item that keeps
failing is parked after ``MAX_ATTEMPTS`` (``fulfillbot parked`` shows it, and can put it back).
Processing an item and the effects it decides commit together with the item's "done" mark, so a
repeated delivery, a second processor or a retry after a crash never has a second effect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from slackbot.clock import Clock
from slackbot.db import Database
from slackbot.executor import TrackingExecutor
from slackbot.metrics import Metrics
from slackbot.models import InboxItem
from slackbot.outbox import Outbox
from slackbot.work import Work

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(minutes=10)
SWEEP_GRACE = timedelta(seconds=30)  # the receiving process processes at once; the sweep is for the rest


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

    def handles(self, source: str, kind: str) -> bool:
        return (source, kind) in self.routes

    def dispatch(self, work: Work, item: InboxEvent) -> None:
        for route in self.routes.get((item.source, item.kind), []):
            if route.matches is None or route.matches(item.payload):
                route.handler(work, item)


class Inbox:
    def __init__(self, db: Database, clock: Clock, metrics: Metrics, outbox: Outbox, executor: TrackingExecutor):
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.outbox = outbox
        self.executor = executor
        self.router = Router()

    def store(self, source: str, kind: str, key: str, payload: dict[str, Any]) -> int | None:
        """Commit the item; None when its key was stored before (a repeat). Raises when the database
        cannot store it, so the caller answers 5xx and the sender delivers it again."""
        now = self.clock.now()
        try:
            with self.db.transaction() as session:
                item = InboxItem(
                    key=key,
                    source=source,
                    kind=kind,
                    payload=payload,
                    received_at=now,
                    state="pending",
                    attempts=0,
                    next_attempt_at=now + SWEEP_GRACE,
                    last_error="",
                )
                session.add(item)
                session.flush()
                item_id = item.id
        except IntegrityError:
            self.metrics.events_deduplicated.labels(source).inc()
            return None
        self.metrics.inbox_received.labels(source).inc()
        return item_id

    def process_soon(self, item_id: int) -> None:
        self.executor.submit(self.process, item_id)

    def process(self, item_id: int) -> bool:
        """Process one item if it is still pending; True when it was done now."""
        try:
            with self.outbox.work() as work:
                item = work.session.scalar(select(InboxItem).where(InboxItem.id == item_id).with_for_update())
                if item is None or item.state != "pending":
                    return False
                self.router.dispatch(work, InboxEvent(item.source, item.kind, dict(item.payload), item.key))
                item.state, item.done_at = "done", work.now
            self.metrics.inbox_processed.labels(item.source).inc()
            return True
        except Rejected as exc:
            self._settle(item_id, str(exc), final="dropped")
        except Exception as exc:
            log.warning("processing inbox item %s failed: %s", item_id, exc, exc_info=True)
            self._settle(item_id, f"{type(exc).__name__}: {exc}")
        return False

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
