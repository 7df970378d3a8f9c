"""``[standups]``: when each person is prompted, which days, which questions, when the summary goes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import ClassVar

from slackbot.config import Config, Date, Duration, Problem, TimeOfDay, Weekday

QUESTION_LENGTH = 2000  # Slack's limit on an input's label


@dataclass(frozen=True)
class StandupsSection:
    KEY: ClassVar[str] = "standups"

    time: TimeOfDay = time(9, 30)
    days: list[Weekday] = field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    holidays: list[Date] = field(default_factory=list)
    questions: list[str] = field(
        default_factory=lambda: [
            "What did you do since your last update?",
            "What will you do today?",
            "Anything blocking you?",
        ]
    )
    remind_after: Duration = timedelta(hours=2)
    summary_after: Duration = timedelta(hours=4)

    def problems(self, _config: Config) -> Iterator[Problem]:
        if self.summary_after <= self.remind_after:
            yield "summary_after", "must be later than standups.remind_after"
        for i, question in enumerate(self.questions):
            if not question.strip() or len(question) > QUESTION_LENGTH:
                yield f"questions[{i}]", f"must be 1 to {QUESTION_LENGTH} characters (it labels a field in Slack)"


def members(config: Config) -> list[str]:
    """Who is prompted: the configured people, less those with ``standup = false``."""
    return [p.slack for p in config.people if p.standup]
