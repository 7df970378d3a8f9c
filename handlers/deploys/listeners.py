"""The deploy train from GitLab (Pipeline Hook and Job Hook for ``[deploys] ref``), its `Block` and
`Expedite` buttons, what blockers tell it, and ``/deploys``."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from handlers.blockers import api as blockers
from handlers.deploys import freeze, messages, service
from handlers.deploys.config import DeploysSection
from handlers.deploys.events import job_from_webhook
from handlers.deploys.models import Train
from handlers.incidents import api as incidents
from handlers.status import api as status
from slackbot import usertext
from slackbot.access import Rule
from slackbot.commands import CommandCall, UsageError
from slackbot.context import BotContext
from slackbot.inbox import InboxEvent, Rejected
from slackbot.interactions import Click
from slackbot.webhooks import WebhookRejected
from slackbot.work import Work

MAINTAINER = "deploys.maintainer"
BLOCK = Rule(
    "block a deploy train",
    "the escalation policy's people and the members of `[blockers] usergroup`",
    (incidents.ESCALATION, blockers.GROUP_ROLE),
)
EXPEDITE = Rule("expedite a deploy train", "`[deploys] maintainers`", (MAINTAINER,))
EXPEDITE_IN_LOCK = Rule("expedite a deploy train during a production change lock", "", ())


def settings(ctx: BotContext) -> DeploysSection:
    return ctx.config.section(DeploysSection)


def ours(ctx: BotContext, project: str, ref: str) -> bool:
    section = settings(ctx)
    return project == section.project_of(ctx.config) and ref == section.ref


def blocker_shown(session: Session, train: Train) -> messages.BlockerShown | None:
    found = blockers.blocker_view(session, train.blocker_id) if train.blocker_id is not None else None
    return messages.BlockerShown(found.state, found.iid, found.url) if found is not None else None


def show(ctx: BotContext, work: Work, train: Train) -> None:
    service.show(work, train, settings(ctx).stages, ctx.channel("status"), blocker_shown(work.session, train))


def record(ctx: BotContext, work: Work, seen: service.Seen, project_url: str) -> None:
    train, changed = service.heard(work, seen, settings(ctx).stages, f"{project_url}/-/jobs")
    if not changed:
        return  # a hook delivered again, or a poll that found nothing new
    older = service.overtake(work, train) if not train.posted else None
    if not train.posted and (found := freeze.holding(work.session, work.now.astimezone(ctx.zone).date())):
        train.freeze = found.milestone
    if not train.posted and ctx.gitlab is not None:
        service.read_merge_requests(work, train)
    if ctx.gitlab is not None and (job_id := service.schedule_unknown(train, settings(ctx).stages)) is not None:
        service.read_schedule(work, train, job_id)
    show(ctx, work, train)
    if older is not None:
        show(ctx, work, older)


def on_pipeline(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    try:
        event = status.pipeline_from_webhook(item.payload)
    except WebhookRejected as exc:
        raise Rejected(str(exc)) from None
    if not ours(ctx, event.project, event.ref):
        return
    jobs = tuple((j.id, j.name, j.status, None) for j in event.jobs)
    seen = service.Seen(
        event.project,
        event.pipeline_id,
        event.ref,
        event.url,
        event.sha,
        event.commit_title,
        event.author,
        event.status,
        jobs,
    )
    record(ctx, work, seen, event.project_url)


def on_job(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    try:
        job = job_from_webhook(item.payload)
    except WebhookRejected as exc:
        raise Rejected(str(exc)) from None
    if not ours(ctx, job.project, job.ref):
        return
    url = f"{job.project_url}/-/pipelines/{job.pipeline_id}"
    seen = service.Seen(
        job.project,
        job.pipeline_id,
        job.ref,
        url,
        job.sha,
        job.title,
        job.author,
        "",
        ((job.job_id, job.name, job.status, job.at),),
    )
    record(ctx, work, seen, job.project_url)


def in_change_lock(ctx: BotContext, at: datetime) -> bool:
    zone = ctx.zone
    return any(start <= at < end for start, end in (lock.span(zone) for lock in settings(ctx).change_locks))


def on_block(ctx: BotContext, work: Work, click: Click) -> str | None:
    train = service.lock(work.session, int(click.value)) if click.value.isdigit() else None
    if train is None:
        return "That train no longer exists."
    ctx.access.require(BLOCK, click.user_id, None, work.session)
    if (
        train.blocker_id is not None
        and (shown := blocker_shown(work.session, train))
        and shown.state in ("opening", "open")
    ):
        return "This train is already blocked."
    if ctx.gitlab is None:
        return "GitLab is not configured (`GITLAB_TOKEN`), so no production::blocker can be opened."
    title = usertext.raw(train.title[:200])  # GitLab's plain text, Slack-encoded as a /blocker reason is
    reason = f"Deploy train #{train.pipeline_id} ({title}) blocked from Slack at verification: {train.url}"
    blocker = blockers.request_open(work, train.project, reason, click.user_id, click.response_url)
    train.blocker_id = blocker.id
    show(ctx, work, train)
    return None


def on_expedite(ctx: BotContext, work: Work, click: Click) -> str | None:
    train = service.lock(work.session, int(click.value)) if click.value.isdigit() else None
    if train is None:
        return "That train no longer exists."
    ctx.access.require(EXPEDITE, click.user_id, None, work.session)
    if in_change_lock(ctx, work.now):
        ctx.access.require(EXPEDITE_IN_LOCK, click.user_id, None, work.session)
    if (open_blocker := blockers.any_open(work.session)) is not None:
        issue = f"#{open_blocker.iid}" if open_blocker.iid else "one being filed"
        return f"A production::blocker is open ({issue}): lift it first (`/blocker lift`)."
    job = service.production_job(train, settings(ctx).stages)
    if job is None or job.get("status") not in service.PLAYABLE:
        return "This train's production job is not waiting (scheduled or manual): there is nothing to expedite."
    service.expedite(work, train, int(job["id"]), click.user_id, click.response_url)
    where = ctx.channel("questions")
    return f"Running the production job of train #{train.pipeline_id} now; it is announced in <#{where}>."


def on_blocker(ctx: BotContext, work: Work, blocker_id: int) -> None:
    train = service.for_blocker(work.session, blocker_id)
    if train is not None:
        show(ctx, work, train)


def list_trains(ctx: BotContext, call: CommandCall) -> str:
    if call.text.strip():
        raise UsageError("Usage: `/deploys` (recent trains) or `/deploys lock` (production change locks).")
    with ctx.db.reading() as session:
        return messages.listing(service.recent(session), settings(ctx).stages)


def list_locks(ctx: BotContext, _call: CommandCall) -> str:
    locks = settings(ctx).change_locks
    if not locks:
        return "No production change lock is configured (`[[deploys.change_locks]]`)."
    now, zone = ctx.clock.now(), ctx.zone
    lines = []
    for lock in locks:
        start, end = lock.span(zone)
        state = "ongoing" if start <= now < end else ("ahead" if now < start else "over")
        dris = ", ".join(f"<@{d}>" for d in lock.dris) or "no DRIs"
        span = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} {ctx.config.timezone}"
        lines.append(f"• {usertext.raw(lock.name)} ({state}): {span}; {dris}")
    return "*Production change locks*\n" + "\n".join(lines)


def maintainer(ctx: BotContext, _session: Session, user: str, _subject: object) -> bool:
    return user in settings(ctx).maintainers


def recent_deploys(session: Session, start: datetime, end: datetime) -> list[incidents.RecentDeploy]:
    """``incidents.RECENT_DEPLOYS``: the trains that reached production in the span."""
    return [
        incidents.RecentDeploy(f"train #{t.pipeline_id}", t.title, t.deployed_at, t.url)
        for t in service.deployed_between(session, start, end)
        if t.deployed_at is not None
    ]


def register(ctx: BotContext) -> None:
    deploys: incidents.DeploysBetween = recent_deploys
    ctx.providers.provide(incidents.RECENT_DEPLOYS, deploys)
    ctx.access.add_role(MAINTAINER, partial(maintainer, ctx))
    ctx.on_webhook("pipeline", status.pipeline_from_webhook, partial(on_pipeline, ctx))
    ctx.on_webhook("build", job_from_webhook, partial(on_job, ctx))
    ctx.interactions.on_click(messages.BLOCK, partial(on_block, ctx))
    ctx.interactions.on_click(messages.EXPEDITE, partial(on_expedite, ctx))
    ctx.signals.connect(blockers.BlockerOpened, lambda work, opened: on_blocker(ctx, work, opened.blocker_id))
    ctx.signals.connect(blockers.BlockerLifted, lambda work, lifted: on_blocker(ctx, work, lifted.blocker_id))
    router = ctx.commands.router("/deploys")
    router.add("", partial(list_trains, ctx), "recent deploy trains and their state")
    router.add("lock", partial(list_locks, ctx), "production change locks, ahead and ongoing")
