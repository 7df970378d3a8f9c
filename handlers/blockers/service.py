"""``/blocker`` as state and effects: the GitLab issue is asked for through the outbox (retried
while GitLab fails), and announced in the status channel once it exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.blockers.models import Blocker
from slackbot.effects import Effect
from slackbot.work import Work


@dataclass(frozen=True)
class OpenIssue(Effect):
    """File the blocker's issue (its reason and who asked are read from the row when it is sent)."""

    KIND: ClassVar[str] = "blockers.open"
    blocker: int
    response_url: str


@dataclass(frozen=True)
class CloseIssue(Effect):
    KIND: ClassVar[str] = "blockers.lift"
    project: str
    iid: int
    user: str
    response_url: str


@dataclass(frozen=True)
class BlockerOpened:
    """GitLab has the ``production::blocker`` issue (a signal: whoever asked for it may link it)."""

    blocker_id: int
    url: str


@dataclass(frozen=True)
class BlockerLifted:
    """GitLab closed the ``production::blocker`` issue the bot opened (a signal)."""

    blocker_id: int


def lane(project: str) -> str:
    return f"gitlab:{project}"


def request_open(work: Work, project: str, reason: str, user: str, response_url: str) -> Blocker:
    blocker = Blocker(project=project, state="opening", reason=reason, title="", opened_by=user, opened_at=work.now)
    work.session.add(blocker)
    work.session.flush()
    work.out.add_effect(OpenIssue(blocker.id, response_url), lane=lane(project))
    return blocker


def latest_open(session: Session) -> Blocker | None:
    return session.scalar(
        select(Blocker).where(Blocker.state == "open", Blocker.lifted_at.is_(None)).order_by(Blocker.id.desc())
    )


def opened_by_bot(session: Session, project: str, iid: int) -> Blocker | None:
    """The open production blocker the bot filed as issue ``iid``: the only issues ``lift`` closes."""
    return session.scalar(
        select(Blocker).where(
            Blocker.project == project, Blocker.iid == iid, Blocker.state == "open", Blocker.lifted_at.is_(None)
        )
    )


def request_lift(work: Work, project: str, iid: int, user: str, response_url: str) -> None:
    work.out.add_effect(CloseIssue(project, iid, user, response_url), lane=lane(project))


def opened(work: Work, blocker_id: int, iid: int, title: str, url: str) -> Blocker | None:
    blocker = work.session.get(Blocker, blocker_id, with_for_update=True)
    if blocker is not None:
        blocker.state, blocker.iid, blocker.title, blocker.url = "open", iid, title, url
    return blocker


def lifted(work: Work, project: str, iid: int, user: str) -> list[int]:
    """Mark the blocker lifted; the IDs of the rows that were open."""
    found = []
    for blocker in work.session.scalars(
        select(Blocker).where(Blocker.project == project, Blocker.iid == iid, Blocker.lifted_at.is_(None))
    ):
        blocker.state, blocker.lifted_by, blocker.lifted_at = "lifted", user, work.now
        found.append(blocker.id)
    return found
