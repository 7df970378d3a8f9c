"""``[async_updates]``: when the weekly async issue-update reminder goes out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import ClassVar

from slackbot.config import TimeOfDay, Weekday


@dataclass(frozen=True)
class AsyncUpdatesSection:
    """The weekly reminder to comment on assigned issues (the handbook's async issue update)."""

    KEY: ClassVar[str] = "async_updates"

    day: Weekday = "mon"
    time: TimeOfDay = time(10, 0)
    current_milestone_only: bool = False
