"""What other capabilities may use of deploys: the production change locks ongoing and ahead (the
status page shows them). Nothing else of ``handlers.deploys`` is imported from outside it.

- Answers (``ctx.providers``): ``incidents.RECENT_DEPLOYS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.deploys.config import DeploysSection
from slackbot.context import BotContext

__all__ = ["LockView", "change_locks"]


@dataclass(frozen=True)
class LockView:
    name: str  # plain text from the config (shown escaped by the page)
    start: datetime
    end: datetime


def change_locks(ctx: BotContext, now: datetime) -> list[LockView]:
    """Locks not over yet, soonest first, placed in the team's timezone."""
    found = [LockView(lock.name, *lock.span(ctx.zone)) for lock in ctx.config.section(DeploysSection).change_locks]
    return sorted((lock for lock in found if lock.end > now), key=lambda lock: lock.start)
