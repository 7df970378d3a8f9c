"""What other capabilities may use of blockers: ask for a ``production::blocker`` issue through
``/blocker``'s own flow (``request_open``), hear when GitLab has it (``BlockerOpened``), and read its
link (``blocker_url``). Nothing else of ``handlers.blockers`` is imported from outside it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from handlers.blockers.models import Blocker
from handlers.blockers.service import BlockerOpened, request_open

__all__ = ["BlockerOpened", "blocker_url", "request_open"]


def blocker_url(session: Session, blocker_id: int) -> str:
    """The issue's link; "" while GitLab has not filed it yet."""
    blocker = session.get(Blocker, blocker_id)
    return (blocker.url or "") if blocker is not None else ""
