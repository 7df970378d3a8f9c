"""Incident follow-ups as state and what they decide: each is filed as a GitLab issue in the
incident issues' project, assigned to its owner and linked to the incident's issue; GitLab's Issue
Hook closes it here; its owner hears of it once a week until then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.incidents import messages, service
from handlers.incidents.models import Followup, Incident
from slackbot.effects import Effect
from slackbot.work import Work

LABEL = "incident follow-up"


@dataclass(frozen=True)
class FileFollowup(Effect):
    """File the follow-up's GitLab issue, assigned to its owner and linked to the incident's issue."""

    KIND: ClassVar[str] = "incidents.followup"
    followup: int


def create(work: Work, incident: Incident, text: str, owner: str, by: str, project: str) -> Followup:
    followup = Followup(
        incident_id=incident.id,
        text=text,
        owner=owner,
        created_by=by,
        created_at=work.now,
        state="open",
        project=project,
    )
    work.session.add(followup)
    work.session.flush()
    service.note(work, incident, "follow-up", by, text)
    # the incident issue's lane: a follow-up is filed after an issue still being filed, to link to it
    work.out.add_effect(FileFollowup(followup.id), lane=f"gitlab:incident:{incident.id}")
    return followup


def filed(work: Work, followup_id: int, iid: int, url: str) -> None:
    followup = work.session.get(Followup, followup_id, with_for_update=True)
    incident = service.lock(work.session, followup.incident_id) if followup is not None else None
    if followup is None or incident is None:
        return
    followup.issue_iid, followup.issue_url = iid, url
    service.say(work, incident, messages.followup_filed(followup))
    if followup.owner != followup.created_by:
        work.slack.post(followup.owner, messages.followup_owned(followup, incident))


def heard_issue(work: Work, project: str, iid: int, state: str) -> Followup | None:
    """GitLab's Issue Hook: a follow-up's issue closed (or reopened) there is closed (reopened) here;
    the same hook twice changes nothing the second time."""
    followup = work.session.scalar(
        select(Followup).where(Followup.project == project, Followup.issue_iid == iid).with_for_update()
    )
    wanted = "closed" if state == "closed" else "open"
    if followup is None or followup.state == wanted:
        return None
    followup.state, followup.closed_at = wanted, work.now if wanted == "closed" else None
    incident = service.lock(work.session, followup.incident_id)
    if incident is not None:
        service.note(work, incident, f"follow-up {'done' if wanted == 'closed' else 'reopened'}", text=followup.text)
        service.say(work, incident, messages.followup_state(followup))
    return followup


def of_incident(session: Session, incident_id: int) -> list[Followup]:
    return list(session.scalars(select(Followup).where(Followup.incident_id == incident_id).order_by(Followup.id)))


def open_by_owner(session: Session) -> dict[str, list[Followup]]:
    found: dict[str, list[Followup]] = {}
    for followup in session.scalars(select(Followup).where(Followup.state == "open").order_by(Followup.id)):
        found.setdefault(followup.owner, []).append(followup)
    return found


def counts(session: Session, since: datetime) -> tuple[int, int]:
    """(open now, closed since ``since``): the weekly digest's line."""
    still_open = session.scalar(select(func.count()).select_from(Followup).where(Followup.state == "open"))
    done = session.scalar(
        select(func.count()).select_from(Followup).where(Followup.state == "closed", Followup.closed_at >= since)
    )
    return int(still_open or 0), int(done or 0)
