"""What other capabilities may use of the status page: who may read what it guards (``/oncall.ics``
is behind the same token). Nothing else of ``handlers.status_page`` is imported from outside it."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from handlers.status_page.config import StatusPageSection
from slackbot.context import BotContext
from slackbot.pages import PageRequest

__all__ = ["Reader", "reader"]


@dataclass(frozen=True)
class Reader:
    allowed: bool
    names_people: bool  # ``show_people``, or the reader holds the token (a team member)


def reader(ctx: BotContext, request: PageRequest) -> Reader:
    """A request with ``?token=`` of ``STATUS_PAGE_TOKEN`` may read and see names; without it, only a
    public page may be read, and names only with ``show_people``."""
    section = ctx.config.section(StatusPageSection)
    token, given = ctx.settings.status_page_token, request.query.get("token", "")
    holds_token = bool(token) and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode())
    return Reader(holds_token or section.access == "public", holds_token or section.show_people)
