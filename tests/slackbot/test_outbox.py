"""The outbox: effects are sent after their unit of work commits, in order per lane, by priority,
once; refusals are retried, dropped or parked. Driven through the real plumbing and the simulator."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from handlers.questions import charts as questions_charts
from slackbot import charts, parked
from slackbot.models import OutboxItem, SchedulerLease
from slackbot.outbox import Priority
from slackbot.ratelimit import Rate, SlackLimits
from slackbot.testing.harness import TEAM, Harness
from slackbot.testing.slack_sim import RateLimits

pytestmark = pytest.mark.both_databases

JAMES, VITALY = TEAM[0].id, TEAM[1].id
GENERAL = "s_fulfillment_engineering"


def channel(harness: Harness) -> str:
    return harness.sim.channel_id(GENERAL)


def texts(harness: Harness, include_replies: bool = False) -> list[str]:
    return [m["text"] for m in harness.sim.messages(GENERAL, include_replies=include_replies)]


def rows(harness: Harness) -> list[OutboxItem]:
    with harness.bot.ctx.db.reading() as session:
        return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def test_nothing_is_sent_before_the_commit_and_nothing_after_a_rollback(harness: Harness) -> None:
    with harness.bot.ctx.work() as work:
        work.slack.post(channel(harness), "decided")
        harness.bot.ctx.outbox.drain()
        assert texts(harness) == [], "not sent while its transaction is open"
    harness.settle()
    assert texts(harness) == ["decided"]
    with pytest.raises(RuntimeError), harness.bot.ctx.work() as work:
        work.slack.post(channel(harness), "rolled back")
        raise RuntimeError("the decision failed")
    harness.settle()
    assert texts(harness) == ["decided"] and len(rows(harness)) == 1


def test_a_reply_and_an_update_wait_for_their_post_and_take_its_ts(harness: Harness) -> None:
    harness.sim.fail("chat.postMessage", times=1, status=503)
    with harness.bot.ctx.work() as work:
        work.slack.post(channel(harness), "parent", ref="test:parent")
        work.slack.post(channel(harness), "in the thread", thread_ref="test:parent")
    with harness.bot.ctx.work() as work:
        work.slack.update("test:parent", "parent, edited")
    harness.settle()
    assert texts(harness, include_replies=True) == [], "the post was refused; its reply and edit wait behind it"
    harness.advance(timedelta(seconds=15))
    [parent, reply] = harness.sim.messages(GENERAL, include_replies=True)
    assert parent["text"] == "parent, edited" and reply["thread_ts"] == parent["ts"]
    assert [(r.state, r.attempts) for r in rows(harness)] == [("done", 1), ("done", 0), ("done", 0)]


def test_pending_updates_of_one_message_coalesce_into_the_latest(harness: Harness) -> None:
    harness.sim.outage()
    with harness.bot.ctx.work() as work:
        work.slack.post(channel(harness), "v0", ref="test:message")
    for version in ("v1", "v2", "v3"):
        with harness.bot.ctx.work() as work:
            work.slack.update("test:message", version)
        harness.settle()
    harness.sim.clear_faults()
    harness.advance(timedelta(seconds=15))
    assert texts(harness) == ["v3"]
    assert [c["text"] for c in harness.sim.calls_to("chat.update")] == ["v3"], "one update, of the latest state"


def test_a_cancelled_group_is_never_sent(harness: Harness) -> None:
    harness.sim.outage()
    with harness.bot.ctx.work() as work:
        work.slack.post(JAMES, "page 1", group="test:pages")
        work.slack.post(VITALY, "page 2", group="test:pages")
        work.slack.post(channel(harness), "not a page")
    with harness.bot.ctx.work() as work:
        assert work.out.cancel("test:pages") == [], "none was sent yet"
    harness.sim.clear_faults()
    harness.advance(timedelta(minutes=5))
    assert harness.sim.dms(JAMES) == [] and harness.sim.dms(VITALY) == []
    assert texts(harness) == ["not a page"]


def test_a_page_goes_before_bulk_when_slack_allows_only_a_few_calls(database_url: str) -> None:
    tight = SlackLimits(workspace=Rate(1 / 3600, 12), urgent_reserve=10)
    with Harness(database_url, limits=tight) as harness:
        with harness.bot.ctx.work() as work:
            for person in TEAM[2:]:
                work.slack.post(person.id, "bulk")
            work.slack.post(JAMES, "page", priority=Priority.URGENT)
        harness.bot.ctx.outbox.deliver_due()
        harness.bot.ctx.outbox.wait_inflight()
        assert [m["text"] for m in harness.sim.dms(JAMES)] == ["page"]
        sent = sum(len(harness.sim.dms(p.id)) for p in TEAM[2:])
        assert sent == 1, "12 tokens: the page took one first, and bulk may not dip into the 10 kept for pages"


@pytest.mark.slow
def test_a_429_holds_only_the_refused_channel(harness: Harness) -> None:
    harness.sim.enforce_rate_limits(RateLimits())
    other = harness.sim.channel_id("s_fulfillment_daily")
    with harness.bot.ctx.work() as work:
        for n in range(5):
            work.slack.post(channel(harness), f"busy {n}")
        work.slack.post(other, "quiet channel")
    harness.bot.ctx.outbox.deliver_due()
    harness.bot.ctx.outbox.wait_inflight()
    assert [m["text"] for m in harness.sim.messages(other)] == ["quiet channel"]
    harness.settle()
    assert texts(harness) == [f"busy {n}" for n in range(5)], "every post once, in the order decided"
    assert harness.sim.refusals, "Slack refused some and they waited their Retry-After"
    assert harness.bot.ctx.metrics.outbox_rate_limited.labels("chat.postMessage")._value.get() >= 1


def test_permanent_refusals_are_dropped_or_parked_and_parked_ones_can_be_retried(harness: Harness) -> None:
    outside = harness.sim.add_channel("not-joined")
    with harness.bot.ctx.work() as work:
        work.slack.post(outside, "needs an invitation")
        work.slack.post(JAMES, "")
    harness.settle()
    states = {r.args["params"]["text"]: r.state for r in rows(harness)}
    assert states == {"needs an invitation": "parked", "": "dropped"}
    metrics = harness.bot.ctx.metrics.outbox_failed
    assert metrics.labels("slack", "parked")._value.get() == 1 and metrics.labels("slack", "dropped")._value.get() == 1
    [listed] = parked.listing(harness.bot.ctx.db)
    assert listed.startswith("out-1 ") and "not_in_channel" in listed
    harness.sim.channels[outside].members.add(harness.sim.bot_user_id)
    assert parked.retry(harness.bot.ctx.db, "out-1") == (
        True,
        "out-1 is back in line; the running bot picks it up on its next tick.",
    )
    harness.settle()
    assert [m["text"] for m in harness.sim.messages(outside)] == ["needs an invitation"]
    assert parked.retry(harness.bot.ctx.db, "out-2")[0] is False, "dropped is not parked"
    assert parked.drop(harness.bot.ctx.db, "in-99")[1] == "in-99 is not a parked item (see `fulfillbot parked`)."


def test_a_delivery_cut_off_by_a_dead_deliverer_is_sent_again(harness: Harness) -> None:
    harness.sim.outage()
    with harness.bot.ctx.work() as work:
        work.slack.post(channel(harness), "was in flight")
    with harness.bot.ctx.db.transaction() as session:
        session.execute(update(OutboxItem).values(state="sending", claimed_by="a-replica-that-died"))
    harness.sim.clear_faults()
    harness.restart()
    harness.settle()
    assert texts(harness) == ["was in flight"]
    [row] = rows(harness)
    assert row.state == "done" and "interrupted while a-replica-that-died" in row.last_error


def test_only_the_lease_holder_delivers(harness: Harness) -> None:
    with harness.bot.ctx.db.transaction() as session:
        session.execute(
            update(SchedulerLease).values(holder="another-replica", expires_at=datetime(2099, 1, 1, tzinfo=UTC))
        )
    harness.bot.ctx.scheduler.lease.held_until = None
    with harness.bot.ctx.work() as work:
        work.slack.post(channel(harness), "for the holder to send")
    harness.settle()
    assert texts(harness) == [], "this process does not hold the lease"
    with harness.bot.ctx.db.transaction() as session:
        session.execute(text("UPDATE scheduler_lease SET expires_at = :past"), {"past": datetime(2000, 1, 1)})
    harness.tick()
    assert texts(harness) == ["for the holder to send"], "it took the expired lease over, and delivers"


def test_a_post_cut_off_after_it_reached_slack_is_not_posted_again(harness: Harness) -> None:
    with harness.bot.ctx.work() as work:
        work.slack.post(channel(harness), "reached Slack")
        work.slack.post(JAMES, "a DM that reached Slack")
        work.slack.post(channel(harness), "never reached Slack")
    harness.settle()
    with harness.bot.ctx.db.transaction() as session:
        session.execute(update(OutboxItem).values(state="sending", claimed_by="a-replica-killed-before-marking-done"))
    harness.sim.api_chat_delete({"channel": channel(harness), "ts": harness.sim.messages(GENERAL)[-1]["ts"]})
    harness.restart()
    harness.settle()
    assert texts(harness) == ["reached Slack", "never reached Slack"], "found by its metadata, so not doubled"
    assert [m["text"] for m in harness.sim.dms(JAMES)] == ["a DM that reached Slack"]
    assert len(harness.sim.calls_to("conversations.history")) == 3, "each cut-off post was looked for first"
    assert harness.sim.messages(GENERAL)[0]["metadata"] == {
        "event_type": "fulfillbot_outbox",
        "event_payload": {"outbox_id": 1},
    }


def test_a_chart_cut_off_after_slack_shared_it_is_not_shared_again(harness: Harness) -> None:
    empty = {"weeks": []}
    with harness.bot.ctx.work() as work:
        charts.send(work.out, JAMES, questions_charts.NAME, empty, "Questions", "an empty chart", "no questions")
        charts.send(work.out, channel(harness), questions_charts.NAME, empty, "Questions", "an empty chart", "none")
    harness.settle()
    with harness.bot.ctx.db.transaction() as session:
        session.execute(update(OutboxItem).values(state="sending", claimed_by="a-replica-killed-before-marking-done"))
    assert [f["name"] for f in harness.sim.files_in(JAMES)] == [f"{questions_charts.NAME}-1.png"], "names its row"
    harness.sim.api_chat_delete({"channel": channel(harness), "ts": harness.sim.messages(GENERAL)[-1]["ts"]})
    harness.restart()
    harness.settle()
    assert len(harness.sim.files_in(JAMES)) == 1, "found in the DM, so not shared twice"
    assert [f["name"] for f in harness.sim.files_in(GENERAL)] == [f"{questions_charts.NAME}-2.png"], "shared again"


@pytest.mark.slow
def test_fulfillbot_parked_lists_retries_and_drops(harness: Harness, database_url: str) -> None:
    outside = harness.sim.add_channel("not-joined-either")
    with harness.bot.ctx.work() as work:
        work.slack.post(outside, "first")
        work.slack.post(harness.sim.add_channel("another-one"), "second")
    harness.settle()
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}

    def parked_cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "slackbot", "parked", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    listed = parked_cli()
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 2
    assert listed.stdout.startswith("out-1 ")
    assert "slack chat.postMessage  after 1 tries: chat.postMessage: not_in_channel" in listed.stdout
    assert parked_cli("retry", "out-1").stdout.startswith("out-1 is back in line")
    assert parked_cli("drop", "out-2").stdout == "out-2 is dropped.\n"
    again = parked_cli("drop", "out-2")
    assert again.returncode == 1 and "not a parked item" in again.stdout
    assert parked_cli("retry", "banana").stdout.startswith("`banana` is not an ID of a parked item")
    assert parked_cli().stdout == "Nothing is parked.\n"
