"""What other capabilities may use of blockers: ask for a ``production::blocker`` issue through
``/blocker``'s own flow (``request_open``, ``request_lift``), hear when GitLab has it
(``BlockerOpened``) and when it is lifted (``BlockerLifted``), read it (``blocker_view``,
``any_open``), and the role of ``[blockers] usergroup``'s members (``GROUP_ROLE``). Nothing else
of ``handlers.blockers`` is imported from outside it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from handlers.blockers.models import Blocker
from handlers.blockers.roles import GROUP_ROLE
from handlers.blockers.service import BlockerLifted, BlockerOpened, latest_open, request_lift, request_open

__all__ = [
    "GROUP_ROLE",
    "BlockerLifted",
    "BlockerOpened",
    "BlockerView",
    "any_open",
    "blocker_url",
    "blocker_view",
    "request_lift",
    "request_open",
]


@dataclass(frozen=True)
class BlockerView:
    id: int
    state: str  # opening, open, lifted, failed
    iid: int | None
    url: str


def blocker_view(session: Session, blocker_id: int) -> BlockerView | None:
    blocker = session.get(Blocker, blocker_id)
    return BlockerView(blocker.id, blocker.state, blocker.iid, blocker.url or "") if blocker is not None else None


def any_open(session: Session) -> BlockerView | None:
    """The latest production blocker opened from Slack that is still open."""
    blocker = latest_open(session)
    return blocker_view(session, blocker.id) if blocker is not None else None


def blocker_url(session: Session, blocker_id: int) -> str:
    """The issue's link; "" while GitLab has not filed it yet."""
    blocker = session.get(Blocker, blocker_id)
    return (blocker.url or "") if blocker is not None else ""
