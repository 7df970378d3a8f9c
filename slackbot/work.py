"""A unit of work: one transaction, the time it happens at, and the effects it decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy.orm import Session

from slackbot.outbox import Effects
from slackbot.slack_effects import SlackEffects


@dataclass
class Work:
    session: Session
    now: datetime
    out: Effects

    @cached_property
    def slack(self) -> SlackEffects:
        return SlackEffects(self.out)
