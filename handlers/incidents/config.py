"""``[incidents]``: whether probe alerts declare incidents, and the escalation policy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from slackbot.config import Config, Duration, Problem, SlackUser


@dataclass(frozen=True)
class EscalationLevel:
    ack_timeout: Duration
    users: list[SlackUser] = field(default_factory=list)
    usergroup: str = ""


@dataclass(frozen=True)
class IncidentsSection:
    KEY: ClassVar[str] = "incidents"

    declare_on_probe_alert: bool = True
    repeat: int = 1
    escalation: list[EscalationLevel] = field(default_factory=list)

    def problems(self, _config: Config) -> Iterator[Problem]:
        for i, level in enumerate(self.escalation):
            if bool(level.users) == bool(level.usergroup):
                yield f"escalation[{i}]", "needs exactly one of users or usergroup"
        if self.repeat < 0:
            yield "repeat", "must be 0 or more"
