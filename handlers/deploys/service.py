"""The deploy train's state changes, and what they decide to send: one message per pipeline of
the deploy ref, updated in place as its stages' jobs move (Pipeline Hook and Job Hook, in any order
and any number of times); a newer train that overtakes an older one says so on both; `Block` and
`Expedite` recorded with who pressed them."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.deploys import messages
from handlers.deploys.models import Train
from slackbot.db import insert_for
from slackbot.effects import Effect
from slackbot.work import Work

FINISHED = ("success", "failed", "canceled", "skipped")
PLAYABLE = ("scheduled", "manual")


@dataclass(frozen=True)
class PlayJob(Effect):
    """Run the train's delayed production job now (GitLab's "play" of a scheduled job)."""

    KIND: ClassVar[str] = "deploys.play"
    train: int
    job: int
    user: str
    response_url: str


@dataclass(frozen=True)
class ReadMergeRequests(Effect):
    """Read the merge requests a train carries: those of the commits since the last production deploy."""

    KIND: ClassVar[str] = "deploys.merge_requests"
    train: int


@dataclass(frozen=True)
class ReadSchedule(Effect):
    """Ask GitLab when the train's delayed production job will run (its ``scheduledAt``)."""

    KIND: ClassVar[str] = "deploys.schedule"
    train: int
    job: int


@dataclass(frozen=True)
class Seen:
    """What a hook says of a pipeline of the deploy ref (either hook; the job's fields when known)."""

    project: str
    pipeline_id: int
    ref: str
    url: str
    sha: str
    title: str
    author: str
    status: str = ""  # the pipeline's, from a Pipeline Hook
    jobs: Sequence[tuple[int, str, str, datetime | None]] = ()  # (id, name, status, at)


def known(session: Session, project: str, pipeline_ids: Sequence[int]) -> dict[int, Train]:
    query = select(Train).where(Train.project == project, Train.pipeline_id.in_(pipeline_ids))
    return {t.pipeline_id: t for t in session.scalars(query)}


def stage_of(job_name: str, stages: Sequence[str]) -> str | None:
    return next((s for s in stages if fnmatch.fnmatchcase(job_name, s)), None)


def heard(work: Work, seen: Seen, stages: Sequence[str], job_url: str) -> tuple[Train, bool]:
    """Record what a hook (or the poller) says: the train, locked (created by whichever comes
    first), and whether anything it shows changed."""
    train = _train(work, seen)
    shown_before = (train.status, dict(train.stages), train.deployed_at)
    if seen.status:
        train.status = seen.status
    changed = dict(train.stages)
    for job_id, name, status, at in seen.jobs:
        stage = stage_of(name, stages)
        if stage is None:
            continue
        before: dict[str, Any] = changed.get(stage) or {}
        if before.get("id", 0) > job_id:
            continue  # a retried job's older run
        at_text = at.isoformat() if at else before.get("at")
        changed[stage] = {"id": job_id, "job": name, "status": status, "at": at_text, "url": f"{job_url}/{job_id}"}
        if stage == stages[-1] and status == "success" and train.deployed_at is None:
            train.deployed_at = at or work.now
    train.stages = changed
    return train, (train.status, changed, train.deployed_at) != shown_before or not train.posted


def _train(work: Work, seen: Seen) -> Train:
    values = {
        "project": seen.project,
        "pipeline_id": seen.pipeline_id,
        "ref": seen.ref,
        "url": seen.url,
        "sha": seen.sha,
        "title": seen.title,
        "author": seen.author,
        "status": seen.status or "running",
        "stages": {},
        "created_at": work.now,
    }
    statement = insert_for(work.session, Train).values(**values)
    work.session.execute(statement.on_conflict_do_nothing(index_elements=["project", "pipeline_id"]))
    query = select(Train).where(Train.project == seen.project, Train.pipeline_id == seen.pipeline_id)
    train = work.session.scalar(query.with_for_update())
    assert train is not None
    return train


def overtake(work: Work, train: Train) -> Train | None:
    """A newer train overtakes the older one still on its way (not deployed, not failed): both say so."""
    if train.overtakes is not None:
        return None
    older = work.session.scalar(
        select(Train)
        .where(
            Train.project == train.project,
            Train.ref == train.ref,
            Train.pipeline_id < train.pipeline_id,
            Train.deployed_at.is_(None),
            Train.overtaken_by.is_(None),
            Train.status.not_in(("failed", "canceled")),
        )
        .order_by(Train.pipeline_id.desc())
        .limit(1)
        .with_for_update()
    )
    if older is None:
        return None
    older.overtaken_by, train.overtakes = train.pipeline_id, older.pipeline_id
    return older


def show(work: Work, train: Train, stages: Sequence[str], channel: str, blocker: messages.BlockerShown | None) -> None:
    """Post the train's message the first time, update it in place after."""
    text, blocks = messages.train(train, stages, blocker)
    if train.posted:
        work.slack.update(train.ref_name, text, blocks, repost=True)
    else:
        work.slack.post(channel, text, blocks, ref=train.ref_name)
        train.posted = True


def production_job(train: Train, stages: Sequence[str]) -> dict[str, Any] | None:
    found = train.stages.get(stages[-1]) if stages else None
    return found if isinstance(found, dict) else None


def schedule_unknown(train: Train, stages: Sequence[str]) -> int | None:
    """The production job's ID while it waits as a delayed job whose run time is not known yet."""
    job = production_job(train, stages)
    if job is None or job.get("status") != "scheduled" or job.get("scheduled_at"):
        return None
    return int(job["id"])


def read_schedule(work: Work, train: Train, job_id: int) -> None:
    work.out.add_effect(ReadSchedule(train.id, job_id), lane=f"gitlab:{train.project}", key=f"schedule:{job_id}")


def scheduled(work: Work, train_id: int, stage: str, job_id: int, at: str) -> Train | None:
    train = work.session.get(Train, train_id, with_for_update=True)
    found = train.stages.get(stage) if train is not None else None
    if train is None or not isinstance(found, dict) or found.get("id") != job_id:
        return None
    train.stages = {**train.stages, stage: {**found, "scheduled_at": at}}
    return train


def read_merge_requests(work: Work, train: Train) -> None:
    work.out.add_effect(ReadMergeRequests(train.id), lane=f"gitlab:{train.project}")


def base_sha(session: Session, train: Train) -> str:
    """The commit production ran before this train: the last train deployed before it ("" if none)."""
    query = (
        select(Train.sha)
        .where(Train.project == train.project, Train.deployed_at.is_not(None), Train.pipeline_id < train.pipeline_id)
        .order_by(Train.pipeline_id.desc())
        .limit(1)
    )
    return session.scalar(query) or ""


def carries(work: Work, train_id: int, merge_requests: list[dict[str, Any]]) -> Train | None:
    train = work.session.get(Train, train_id, with_for_update=True)
    if train is not None:
        train.merge_requests = merge_requests
    return train


def expedite(work: Work, train: Train, job_id: int, user: str, response_url: str) -> None:
    work.out.add_effect(PlayJob(train.id, job_id, user, response_url), lane=f"gitlab:{train.project}")


def expedited(work: Work, train_id: int, user: str) -> Train | None:
    train = work.session.get(Train, train_id, with_for_update=True)
    if train is not None:
        train.expedited_by, train.expedited_at = user, work.now
    return train


def lock(session: Session, train_id: int) -> Train | None:
    return session.get(Train, train_id, with_for_update=True)


def for_blocker(session: Session, blocker_id: int) -> Train | None:
    return session.scalar(select(Train).where(Train.blocker_id == blocker_id).with_for_update())


def recent(session: Session, limit: int = 10) -> list[Train]:
    return list(session.scalars(select(Train).order_by(Train.pipeline_id.desc()).limit(limit)))


def deployed_between(session: Session, start: datetime, end: datetime) -> list[Train]:
    query = select(Train).where(Train.deployed_at >= start, Train.deployed_at <= end).order_by(Train.deployed_at)
    return list(session.scalars(query))
