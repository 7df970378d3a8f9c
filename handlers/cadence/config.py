"""``[[cadence]]``: announcements on a cron, in the team timezone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from slackbot.config import Config, Cron, Problem, channel_problem


@dataclass(frozen=True)
class Cadence:
    cron: Cron
    text: str
    channel: str = "announcements"


@dataclass(frozen=True)
class CadenceSection:
    KEY: ClassVar[str] = "cadence"
    ARRAY: ClassVar[bool] = True

    entries: list[Cadence] = field(default_factory=list)

    def problems(self, _config: Config) -> Iterator[Problem]:
        for i, entry in enumerate(self.entries):
            problem = channel_problem(entry.channel)
            if problem:
                yield f"[{i}].channel", problem
