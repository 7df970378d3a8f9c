"""``[status_page]``: who may open ``/status``, whether it names people, how long checks are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar, Literal

from slackbot.config import Duration


@dataclass(frozen=True)
class StatusPageSection:
    KEY: ClassVar[str] = "status_page"

    access: Literal["public", "token"] = "token"
    show_people: bool = False
    retention: Duration = timedelta(days=90)
