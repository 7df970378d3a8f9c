"""Production change locks (``[[deploys.change_locks]]``): a day ahead the DRIs get a DM; at
``from`` the PCL issue is filed from the project's ``Pcl`` template and the production::blocker is
opened through ``/blocker``'s flow; at ``to`` the blocker is lifted and the PCL issue closed. Each
step once per lock (claimed with ``ctx.once``, its state in ``change_lock_states``), after a restart
too; a step the bot was down for is taken at its next tick while the lock's time still calls for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy.orm import Session

from handlers.blockers import api as blockers
from handlers.deploys import messages
from handlers.deploys.config import ChangeLock
from handlers.deploys.models import ChangeLockState
from slackbot import usertext
from slackbot.effects import Effect
from slackbot.work import Work

AHEAD = timedelta(days=1)
TEMPLATE = "Pcl"


@dataclass(frozen=True)
class FilePcl(Effect):
    """File the lock's PCL issue from the project's ``Pcl`` template."""

    KIND: ClassVar[str] = "deploys.pcl_file"
    lock: str  # the state's key
    project: str


@dataclass(frozen=True)
class ClosePcl(Effect):
    KIND: ClassVar[str] = "deploys.pcl_close"
    project: str
    iid: int


def key(lock: ChangeLock) -> str:
    return f"{lock.name}|{lock.start.isoformat()}"[:255]


def state(session: Session, lock: ChangeLock) -> ChangeLockState | None:
    return session.get(ChangeLockState, key(lock))


def remind(work: Work, lock: ChangeLock, start: datetime, end: datetime) -> None:
    for dri in lock.dris:
        work.slack.post(dri, messages.lock_reminder(lock.name, start, end))


def begin(work: Work, lock: ChangeLock, project: str) -> None:
    """The lock starts: its production::blocker asked for, its PCL issue to be filed."""
    opener = lock.dris[0] if lock.dris else "fulfillbot"
    name = usertext.raw(lock.name)  # the config's plain text, Slack-encoded as a /blocker reason is
    reason = f"Production change lock: {name}, until {lock.to:%Y-%m-%d %H:%M} (opened by the bot at its start)"
    blocker = blockers.request_open(work, project, reason, opener, "")
    work.session.add(ChangeLockState(key=key(lock), blocker_id=blocker.id, issue_url="", lifted=False))
    work.out.add_effect(FilePcl(key(lock), project), lane=f"gitlab:{project}")


def end_due(session: Session, found: ChangeLockState) -> str:
    """What ending the lock waits for: "" when it can end now, else why not yet."""
    blocker = blockers.blocker_view(session, found.blocker_id) if found.blocker_id is not None else None
    if blocker is not None and blocker.state == "opening":
        return "its production::blocker is still being filed"
    return ""


def finish(work: Work, found: ChangeLockState, project: str) -> None:
    """The lock ends: its blocker lifted (if still open) and its PCL issue closed."""
    blocker = blockers.blocker_view(work.session, found.blocker_id) if found.blocker_id is not None else None
    if blocker is not None and blocker.state == "open" and blocker.iid is not None:
        blockers.request_lift(work, project, blocker.iid, "fulfillbot", "")
    if found.issue_iid is not None:
        work.out.add_effect(ClosePcl(project, found.issue_iid), lane=f"gitlab:{project}")
    found.lifted = True
