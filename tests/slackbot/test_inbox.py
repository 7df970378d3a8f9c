"""The inbox: an event is stored before Slack gets its 200, and processed (retried, parked) after."""

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from slackbot import parked
from slackbot.capability import Capability, installed
from slackbot.context import BotContext
from slackbot.inbox import MAX_ATTEMPTS, InboxEvent
from slackbot.models import InboxItem
from slackbot.testing.harness import TEAM, Harness
from slackbot.work import Work

pytestmark = pytest.mark.both_databases

JAMES = TEAM[0].id
ENGINEERING = "s_fulfillment_engineering"


def mention(harness: Harness, text: str = "hello") -> dict[str, str]:
    message = harness.sim.post(harness.sim.channel_id(ENGINEERING), JAMES, f"<@{harness.sim.bot_user_id}> {text}")
    return {"type": "app_mention", "channel": message["channel"], "user": JAMES, "text": text, "ts": message["ts"]}


def replies(harness: Harness, event: dict[str, str]) -> int:
    return len(harness.sim.replies(ENGINEERING, event["ts"]))


def test_an_event_that_cannot_be_stored_gets_a_503_and_its_redelivery_does_the_work(
    harness: Harness, database_url: str
) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE inbox RENAME TO inbox_away"))
    event = mention(harness)
    refused = harness.driver.send_event(event, event_id="Ev0STORAGE1")
    assert refused.status_code == 503, "Slack delivers it again when the answer is not 2xx"
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE inbox_away RENAME TO inbox"))
    engine.dispose()
    assert replies(harness, event) == 0
    assert harness.driver.send_event(event, event_id="Ev0STORAGE1", retry_num=1).status_code == 200
    assert replies(harness, event) == 1
    harness.driver.send_event(event, event_id="Ev0STORAGE1", retry_num=2)
    assert replies(harness, event) == 1, "once stored, a repeat has no second effect"


class Flaky:
    """A capability whose handling of ``emoji_changed`` fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.failing = True
        self.fail_key = ""  # an item that fails even when ``failing`` is not set
        self.handled: list[str] = []

    def capability(self) -> Capability:
        def register(ctx: BotContext) -> None:
            def handle(work: Work, item: InboxEvent) -> None:
                if self.failing or item.key == self.fail_key:
                    raise RuntimeError("the handler is broken")
                self.handled.append(item.key)
                work.slack.post(ctx.channel("engineering"), "emoji list changed")

            ctx.on_event("emoji_changed", handle)

        return Capability(name="flaky", register=register)


@pytest.fixture
def flaky() -> Flaky:
    return Flaky()


@pytest.fixture
def flaky_harness(database_url: str, flaky: Flaky) -> Iterator[Harness]:
    with Harness(database_url, capabilities=[*installed(), flaky.capability()]) as running:
        yield running


def item(harness: Harness) -> InboxItem:
    with harness.bot.ctx.db.reading() as session:
        return session.scalars(select(InboxItem).where(InboxItem.kind == "emoji_changed")).one()


def test_processing_that_fails_is_retried_with_backoff_then_parked(flaky_harness: Harness, flaky: Flaky) -> None:
    harness = flaky_harness
    assert harness.driver.send_event({"type": "emoji_changed", "subtype": "add"}).status_code == 200
    assert item(harness).state == "pending" and item(harness).attempts == 1
    harness.advance(timedelta(seconds=4))
    assert item(harness).attempts == 1, "the first retry waits 5 s"
    harness.advance(timedelta(seconds=1))
    assert item(harness).attempts == 2
    for _ in range(MAX_ATTEMPTS):
        harness.advance(timedelta(minutes=10))
    stored = item(harness)
    assert (stored.state, stored.attempts) == ("parked", MAX_ATTEMPTS)
    assert "RuntimeError: the handler is broken" in stored.last_error
    assert harness.bot.ctx.metrics.inbox_failed.labels("slack", "parked")._value.get() == 1
    [listed] = parked.listing(harness.bot.ctx.db)
    assert listed.startswith(f"in-{stored.id} ") and "slack emoji_changed" in listed

    flaky.failing = False
    assert parked.retry(harness.bot.ctx.db, f"in-{stored.id}")[0]
    harness.tick()
    assert item(harness).state == "done" and len(flaky.handled) == 1
    assert [m["text"] for m in harness.sim.messages(ENGINEERING)] == ["emoji list changed"]
    harness.advance(timedelta(minutes=10))
    assert len(flaky.handled) == 1, "done once"


def test_an_event_stored_by_a_process_that_died_is_processed_by_the_sweep(harness: Harness) -> None:
    event = mention(harness, "left behind")
    now = harness.clock.now()
    with harness.bot.ctx.db.transaction() as session:  # what a process killed right after storing leaves
        session.add(
            InboxItem(
                key="slack:Ev0ORPHAN01",
                source="slack",
                kind="app_mention",
                payload=json.dumps({"event": event}),
                received_at=now,
                state="pending",
                attempts=0,
                next_attempt_at=now + timedelta(seconds=30),
                last_error="",
            )
        )
    assert replies(harness, event) == 0, "stored, but nobody processed it"
    harness.advance(timedelta(seconds=15))
    assert replies(harness, event) == 0, "the receiving process gets 30 s to process it first"
    harness.advance(timedelta(seconds=15))
    assert replies(harness, event) == 1


def test_one_failing_item_of_a_batch_leaves_the_others_done_once(flaky_harness: Harness, flaky: Flaky) -> None:
    """The batch runs without savepoints first; the failure rolls that attempt back whole, and the
    batch runs again item by item: the good items' effects are committed exactly once."""
    inbox = flaky_harness.bot.ctx.inbox
    flaky.failing = False
    ids = []
    for n in range(4, 7):
        stored = inbox.store("slack", "emoji_changed", f"slack:Ev{n}", {"event": {"n": n}})
        assert stored is not None
        ids.append(stored)
    flaky_harness.settle()  # processed already; make them pending again, and one of them fail
    with flaky_harness.bot.ctx.db.transaction() as session:
        session.execute(sa.update(InboxItem).where(InboxItem.id.in_(ids)).values(state="pending", done_at=None))
    flaky.handled.clear()
    before = len(flaky_harness.sim.messages(ENGINEERING))
    flaky.fail_key = "slack:Ev5"
    assert inbox.process_batch(ids) == 2
    flaky_harness.settle()
    assert sorted(flaky.handled) == ["slack:Ev4", "slack:Ev4", "slack:Ev6"], "Ev4 ran in the rolled-back attempt too"
    assert len(flaky_harness.sim.messages(ENGINEERING)) - before == 2, "but its effect is sent once"
    with flaky_harness.bot.ctx.db.reading() as session:
        states = dict(session.execute(select(InboxItem.key, InboxItem.state).where(InboxItem.id.in_(ids))).all())
    assert states == {"slack:Ev4": "done", "slack:Ev5": "pending", "slack:Ev6": "done"}
