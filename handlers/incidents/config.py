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
    oncall: str = ""  # a rotation's name: whoever is on call when the level runs


@dataclass(frozen=True)
class IncidentsSection:
    KEY: ClassVar[str] = "incidents"

    declare_on_probe_alert: bool = True
    repeat: int = 1
    escalation: list[EscalationLevel] = field(default_factory=list)

    def problems(self, config: Config) -> Iterator[Problem]:
        rotations = {r.name for r in getattr(config.sections.get("oncall"), "rotations", [])}
        for i, level in enumerate(self.escalation):
            if [bool(level.users), bool(level.usergroup), bool(level.oncall)].count(True) != 1:
                yield f"escalation[{i}]", "needs exactly one of users, usergroup or oncall"
            elif level.oncall and level.oncall not in rotations:
                yield f"escalation[{i}].oncall", f'"{level.oncall}" is not the name of an [[oncall.rotations]] entry'

        if self.repeat < 0:
            yield "repeat", "must be 0 or more"
