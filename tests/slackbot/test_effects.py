"""Typed outbox payloads: encoded and decoded in one place, with a version."""

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from slackbot.charts import Chart
from slackbot.effects import Effect
from slackbot.outbox import DeliveryError
from slackbot.pagerduty import PagerDutyEvent
from slackbot.slack_effects import Respond, SlackCall


@dataclass(frozen=True)
class Ping(Effect):
    KIND: ClassVar[str] = "test.ping"
    VERSION: ClassVar[int] = 2
    incident: int
    level: int

    @classmethod
    def upgrade(cls, version: int, values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "level": values.get("level", 0)} if version < 2 else values


def test_an_effect_round_trips_with_its_version() -> None:
    encoded = Ping(12, 1).encode()
    assert encoded == {"v": 2, "incident": 12, "level": 1}
    assert Ping.decode(encoded) == Ping(12, 1)


def test_a_row_written_by_an_older_version_is_read_through_upgrade() -> None:
    assert Ping.decode({"v": 1, "incident": 12}) == Ping(12, 0)
    assert Ping.decode({"incident": 12}) == Ping(12, 0), "rows from before versions are version 1"


def test_a_row_written_by_a_newer_version_waits_for_this_process_to_be_upgraded() -> None:
    with pytest.raises(DeliveryError) as refused:
        Ping.decode({"v": 3, "incident": 12, "level": 1, "more": True})
    assert refused.value.retryable and "version 3 is newer" in str(refused.value)


def test_rows_the_plumbing_wrote_before_its_effects_were_typed_are_read_as_they_were_meant() -> None:
    """A rolling deploy finds rows written as plain dicts (no version, optional keys left out)."""
    post = {"method": "chat.postMessage", "params": {"channel": "C0", "text": "hi"}, "thread_ref": "incident:1"}
    assert SlackCall.decode(post) == SlackCall("chat.postMessage", {"channel": "C0", "text": "hi"}, "incident:1")
    edit = {"method": "chat.update", "params": {"text": "new"}, "update_ref": "outage:2", "repost": True}
    assert SlackCall.decode(edit) == SlackCall("chat.update", {"text": "new"}, update_ref="outage:2", repost=True)
    assert Respond.decode({"url": "https://hooks.slack.com/x", "text": "ok"}).replace_original is False
    old_page = {"action": "trigger", "dedup_key": "incident-1", "payload": {"severity": "critical"}}
    assert PagerDutyEvent.decode(old_page).link_ref is None
    assert Chart.decode(Chart("U0", "questions", {"weeks": []}, "t", "a", "f").encode()).chart == "questions"
