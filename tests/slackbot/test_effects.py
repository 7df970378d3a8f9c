"""Typed outbox payloads: encoded and decoded in one place, with a version."""

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from slackbot.effects import Effect
from slackbot.outbox import DeliveryError


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
