"""Scheduled: the production change locks' steps (``locks``), every tick; and, in the background
every ``[gitlab] poll_interval``, the deploy ref's recent pipelines read from GitLab, the fallback
when a Pipeline Hook or Job Hook is missed."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any

import gitlab

from handlers.deploys import freeze, listeners, locks, messages, service
from handlers.deploys.config import DeploysSection
from slackbot import idempotency
from slackbot.context import BotContext
from slackbot.payload import moment
from slackbot.periodic import claim_period


def change_locks(ctx: BotContext, now: datetime) -> None:
    section = ctx.config.section(DeploysSection)
    project = section.project_of(ctx.config)
    for lock in section.change_locks:
        start, end = lock.span(ctx.zone)
        if start - locks.AHEAD <= now < start:
            with ctx.work() as work:
                if ctx.once(work, f"pcl-remind:{locks.key(lock)}"):
                    locks.remind(work, lock, start, end)
            continue
        with ctx.db.reading() as session:
            found = locks.state(session, lock)
            waiting = locks.end_due(session, found) if found is not None else ""
        if start <= now < end and found is None and ctx.gitlab is not None:
            with ctx.work() as work:
                if ctx.once(work, f"pcl-begin:{locks.key(lock)}"):
                    locks.begin(work, lock, project)
        elif now >= end and found is not None and not found.lifted and not waiting:
            with ctx.work() as work:
                locked = locks.state(work.session, lock)
                if locked is not None and not locked.lifted:
                    locks.finish(work, locked, project)


POLLED = 5  # the deploy ref's latest pipelines, each poll


def gitlab_due(ctx: BotContext, name: str, now: datetime) -> gitlab.Gitlab | None:
    """The GitLab client when a poll named ``name`` is due (claimed for this ``poll_interval``)."""
    interval = ctx.config.gitlab.poll_interval
    if ctx.gitlab is None or not interval:
        return None
    with ctx.db.transaction() as session:
        return ctx.gitlab if claim_period(session, name, now, interval) else None


def poll_trains(ctx: BotContext, now: datetime) -> None:
    client = gitlab_due(ctx, "deploys.trains.poll", now)
    if client is None:
        return
    section = ctx.config.section(DeploysSection)
    project = client.projects.get(section.project_of(ctx.config))
    listed = project.pipelines.list(ref=section.ref, per_page=POLLED, get_all=False)
    with ctx.db.reading() as session:
        seen_before = service.known(session, project.path_with_namespace, [int(p.id) for p in listed])
    for pipeline in sorted(listed, key=lambda p: int(p.id)):
        before = seen_before.get(int(pipeline.id))
        if before is None:
            commit = project.commits.get(pipeline.sha)
            title, author = str(commit.title), str(commit.author_name)
        else:
            title, author = before.title, before.author
        seen = polled(project.path_with_namespace, section.ref, pipeline, title, author)
        with ctx.work() as work:
            listeners.record(ctx, work, seen, str(project.web_url))


def polled(project: str, ref: str, pipeline: Any, title: str, author: str) -> service.Seen:
    """A pipeline and its jobs, read from GitLab's API, as the hooks would have told them."""
    jobs = tuple(
        (
            int(j.id),
            str(j.name),
            str(j.status),
            moment(getattr(j, "finished_at", None) or getattr(j, "started_at", None)),
        )
        for j in pipeline.jobs.list(get_all=True)
    )
    url, sha, status = str(pipeline.web_url), str(pipeline.sha), str(pipeline.status)
    return service.Seen(project, int(pipeline.id), ref, url, sha, title, author, status, jobs)


def read_milestones(ctx: BotContext, now: datetime) -> None:
    """The current milestone's feature freeze, from its due date (project and group milestones)."""
    client = gitlab_due(ctx, "deploys.milestones", now)
    if client is None:
        return
    section = ctx.config.section(DeploysSection)
    project = client.projects.get(section.project_of(ctx.config), lazy=True)
    listed = project.milestones.list(state="active", include_ancestors=True, get_all=True)
    dated = [(str(m.title), date.fromisoformat(str(m.due_date))) for m in listed if getattr(m, "due_date", None)]
    found = freeze.current(dated, now.astimezone(ctx.zone).date())
    if found is not None:
        with ctx.db.transaction() as session:
            freeze.remember(session, found)


def announce_freeze(ctx: BotContext, now: datetime) -> None:
    """At the start and the end of a feature freeze, once each, in the engineering channel."""
    today = now.astimezone(ctx.zone).date()
    with ctx.db.reading() as session:
        freezes = freeze.known(session)
    for found in freezes:
        if found.holds(today):
            with ctx.work() as work:
                if ctx.once(work, f"freeze-start:{found.milestone}"):
                    work.slack.post(ctx.channel("engineering"), messages.freeze_started(found))
        elif today >= found.ends:
            with ctx.work() as work:
                started = idempotency.claimed(work.session, f"freeze-start:{found.milestone}")
                if started and ctx.once(work, f"freeze-end:{found.milestone}"):
                    work.slack.post(ctx.channel("engineering"), messages.freeze_ended(found))


def register(ctx: BotContext) -> None:
    if DeploysSection.KEY in ctx.config.sections:  # polled only where a [deploys] section says a train runs
        ctx.scheduler.add("deploys.trains_poll", partial(poll_trains, ctx), background=True)
        ctx.scheduler.add("deploys.milestones", partial(read_milestones, ctx), background=True)
        ctx.scheduler.add("deploys.freeze", partial(announce_freeze, ctx))
    if ctx.config.section(DeploysSection).change_locks:
        ctx.scheduler.add("deploys.change_locks", partial(change_locks, ctx))
