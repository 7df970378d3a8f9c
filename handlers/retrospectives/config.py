"""``[retrospectives]``: the project the monthly async retrospective issue is filed in, and the day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from slackbot.config import Config, Problem


@dataclass(frozen=True)
class RetrospectivesSection:
    KEY: ClassVar[str] = "retrospectives"

    project: str = ""  # "": no retrospective issue is filed
    day: int = 9  # the handbook: after the 8th

    def problems(self, _config: Config) -> Iterator[Problem]:
        if not 1 <= self.day <= 31:
            yield "day", "must be a day of the month, 1 to 31"
