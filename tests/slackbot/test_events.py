from datetime import timedelta

from slackbot.testing.harness import TEAM, Harness

JAMES = TEAM[0].id


def mention(harness: Harness) -> dict:  # type: ignore[type-arg]
    message = harness.sim.post(
        harness.sim.channel_id("s_fulfillment_engineering"), JAMES, f"<@{harness.sim.bot_user_id}> hi"
    )
    return {
        "type": "app_mention",
        "channel": message["channel"],
        "user": JAMES,
        "text": message["text"],
        "ts": message["ts"],
    }


def bot_replies(harness: Harness, ts: str) -> list[dict]:  # type: ignore[type-arg]
    return harness.sim.replies("s_fulfillment_engineering", ts)


def test_a_retried_event_has_one_effect(harness: Harness) -> None:
    event = mention(harness)
    first = harness.driver.send_event(event, event_id="Ev0MENTION1")
    retry = harness.driver.send_event(event, event_id="Ev0MENTION1", retry_num=1)
    again = harness.driver.send_event(event, event_id="Ev0MENTION1", retry_num=2)
    assert [r.status_code for r in (first, retry, again)] == [200, 200, 200]
    replies = bot_replies(harness, event["ts"])
    assert len(replies) == 1
    assert "fulfillbot" in replies[0]["text"]
    assert harness.bot.ctx.metrics.events_deduplicated.labels("slack")._value.get() == 2


def test_a_repeat_after_a_restart_has_no_second_effect(harness: Harness) -> None:
    event = mention(harness)
    harness.driver.send_event(event, event_id="Ev0MENTION2")
    harness.restart()
    harness.driver.send_event(event, event_id="Ev0MENTION2")
    assert len(bot_replies(harness, event["ts"])) == 1


def test_distinct_events_each_have_their_effect(harness: Harness) -> None:
    event = mention(harness)
    harness.driver.send_event(event, event_id="Ev0MENTION3")
    harness.driver.send_event(event, event_id="Ev0MENTION4")
    assert len(bot_replies(harness, event["ts"])) == 2


def test_an_effect_slack_refuses_is_retried_by_the_bot_not_by_slack(harness: Harness) -> None:
    event = mention(harness)
    harness.sim.fail("chat.postMessage", times=1, status=500)
    assert harness.driver.send_event(event, event_id="Ev0MENTION5").status_code == 200
    assert bot_replies(harness, event["ts"]) == [], "Slack refused the reply"
    harness.advance(timedelta(seconds=15))
    assert len(bot_replies(harness, event["ts"])) == 1, "retried from the outbox: Slack never sends the event again"
    harness.advance(timedelta(minutes=5))
    assert len(bot_replies(harness, event["ts"])) == 1


def test_events_nobody_listens_to_are_acknowledged(harness: Harness) -> None:
    response = harness.driver.send_event({"type": "channel_rename", "channel": {"id": "C1", "name": "x"}})
    assert response.status_code == 200
    said = harness.driver.say(JAMES, "s_fulfillment_engineering", "just chatting")
    assert harness.sim.replies("s_fulfillment_engineering", said["ts"]) == []
