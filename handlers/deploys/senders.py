"""The GitLab calls of deploys, made by the outbox: the train's delayed production job run now
(GitLab's "play" of a scheduled job, ``POST /projects/:id/jobs/:job_id/play``), then announced in
the questions channel, as the handbook's urgent-issue process asks, with who did it; and a change
lock's PCL issue, filed from the project's ``Pcl`` template and closed when the lock ends."""

from __future__ import annotations

from functools import partial
from typing import Any

from handlers.deploys import listeners, locks, messages, service
from handlers.deploys.config import DeploysSection
from handlers.deploys.models import ChangeLockState, Train
from slackbot import usertext
from slackbot.context import BotContext
from slackbot.effects import effect_of
from slackbot.gitlab_client import configured, gitlab_failure, issue_template
from slackbot.outbox import Delivery, DeliveryError, Gone, Refused, Sender, TryAgain
from slackbot.work import Work


def play(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    effect = effect_of(delivery, service.PlayJob)
    with ctx.db.reading() as session:
        train = session.get(Train, effect.train)
        project = train.project if train is not None else ""
    try:
        configured(ctx.gitlab).projects.get(project, lazy=True).jobs.get(effect.job, lazy=True).play()
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {}


def played(ctx: BotContext, work: Work, delivery: Delivery, _result: dict[str, Any]) -> None:
    effect = effect_of(delivery, service.PlayJob)
    train = service.expedited(work, effect.train, effect.user)
    if train is not None:
        work.slack.post(ctx.channel("questions"), messages.expedited(train, effect.user))
        listeners.show(ctx, work, train)


def refused(work: Work, delivery: Delivery, error: str) -> None:
    work.slack.respond(effect_of(delivery, service.PlayJob).response_url, f"GitLab did not run the job: {error}")


def file_pcl(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    effect = effect_of(delivery, locks.FilePcl)
    lock = next((c for c in ctx.config.section(DeploysSection).change_locks if locks.key(c) == effect.lock), None)
    if lock is None:
        raise Gone("the change lock is no longer configured")
    start, end = lock.span(ctx.zone)
    try:
        project = configured(ctx.gitlab).projects.get(effect.project, lazy=True)
        template = issue_template(project, locks.TEMPLATE)
        name = usertext.gitlab(lock.name)
        dris = [usertext.gitlab(ctx.directory.real_name(d)) for d in lock.dris]
        description = messages.pcl_description(template, name, start, end, dris)
        issue = project.issues.create({"title": f"PCL: {lock.name}"[:255], "description": description})
    except DeliveryError:
        raise
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {"iid": int(issue.iid), "url": str(issue.web_url)}


def pcl_filed(work: Work, delivery: Delivery, result: dict[str, Any]) -> None:
    found = work.session.get(ChangeLockState, effect_of(delivery, locks.FilePcl).lock, with_for_update=True)
    if found is not None:
        found.issue_iid, found.issue_url = result["iid"], result["url"]


def close_pcl(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    effect = effect_of(delivery, locks.ClosePcl)
    try:
        issue = configured(ctx.gitlab).projects.get(effect.project, lazy=True).issues.get(effect.iid)
        if issue.state == "opened":
            issue.state_event = "close"
            issue.save()
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {}


MERGE_REQUESTS = 20  # the most a train lists


def read_merge_requests(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    """The merge requests of the commits from production's commit to the train's (GitLab's compare),
    or of the train's own commit when nothing is known to be in production yet."""
    effect = effect_of(delivery, service.ReadMergeRequests)
    with ctx.db.reading() as session:
        train = session.get(Train, effect.train)
        if train is None or not train.sha:
            raise Gone("the train is gone, or its commit is unknown")
        project_path, sha, base = train.project, train.sha, service.base_sha(session, train)
    found: dict[int, dict[str, Any]] = {}
    try:
        project = configured(ctx.gitlab).projects.get(project_path, lazy=True)
        compared: Any = project.repository_compare(base, sha) if base else {"commits": [{"id": sha}]}
        shas = [str(c["id"]) for c in compared["commits"]]
        for commit in shas[-MERGE_REQUESTS:]:
            for mr in project.commits.get(commit, lazy=True).merge_requests():
                author = str((mr.get("author") or {}).get("username", ""))
                iid = int(mr["iid"])
                found[iid] = {"iid": iid, "title": str(mr["title"]), "url": str(mr["web_url"]), "author": author}
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {"merge_requests": [found[iid] for iid in sorted(found)][:MERGE_REQUESTS]}


def merge_requests_read(ctx: BotContext, work: Work, delivery: Delivery, result: dict[str, Any]) -> None:
    train = service.carries(work, effect_of(delivery, service.ReadMergeRequests).train, result["merge_requests"])
    if train is not None:
        listeners.show(ctx, work, train)


SCHEDULED_AT = "query($path: ID!, $id: CiJobID!) { project(fullPath: $path) { job(id: $id) { scheduledAt } } }"


def read_schedule(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    """A delayed job's run time: GraphQL's ``CiJob.scheduledAt`` (the REST API does not give it)."""
    effect = effect_of(delivery, service.ReadSchedule)
    with ctx.db.reading() as session:
        train = session.get(Train, effect.train)
        if train is None:
            raise Gone("the train is gone")
        project = train.project
    client = configured(ctx.gitlab)
    variables = {"path": project, "id": f"gid://gitlab/Ci::Build/{effect.job}"}
    try:
        answer = client.session.post(
            f"{client.url}/api/graphql",
            json={"query": SCHEDULED_AT, "variables": variables},
            headers={"Authorization": f"Bearer {client.private_token}"},
            timeout=15,
        )
    except Exception as exc:
        raise TryAgain(f"GitLab GraphQL: no answer: {type(exc).__name__}") from None
    if answer.status_code >= 500 or answer.status_code == 429:
        raise TryAgain(f"GitLab GraphQL: HTTP {answer.status_code}")
    body = answer.json() if answer.status_code == 200 else {}
    job = ((body.get("data") or {}).get("project") or {}).get("job") or {}
    if body.get("errors") or not job.get("scheduledAt"):
        raise Refused(f"GitLab did not say when job {effect.job} runs: {body.get('errors') or answer.status_code}")
    return {"at": str(job["scheduledAt"])}


def schedule_read(ctx: BotContext, work: Work, delivery: Delivery, result: dict[str, Any]) -> None:
    effect = effect_of(delivery, service.ReadSchedule)
    stages = ctx.config.section(DeploysSection).stages
    train = service.scheduled(work, effect.train, stages[-1], effect.job, result["at"])
    if train is not None:
        listeners.show(ctx, work, train)


def register(ctx: BotContext) -> None:
    ctx.outbox.register(
        service.ReadSchedule.KIND, Sender(send=partial(read_schedule, ctx), done=partial(schedule_read, ctx))
    )
    reader = Sender(send=partial(read_merge_requests, ctx), done=partial(merge_requests_read, ctx))
    ctx.outbox.register(service.ReadMergeRequests.KIND, reader)
    ctx.outbox.register(locks.FilePcl.KIND, Sender(send=partial(file_pcl, ctx), done=pcl_filed))
    ctx.outbox.register(locks.ClosePcl.KIND, Sender(send=partial(close_pcl, ctx)))
    ctx.outbox.register(
        service.PlayJob.KIND, Sender(send=partial(play, ctx), done=partial(played, ctx), failed=refused)
    )
