"""Filing an intake request in GitLab, by the outbox: the project's template is fetched, the answers
written into it, and the person gets the link. While GitLab fails it is retried after 1, 2, 4, ...
minutes (at most an hour apart); the person is told once."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from handlers.intake import messages, service
from handlers.intake.config import IntakeSection
from handlers.intake.models import IntakeRequest
from slackbot import usertext
from slackbot.context import BotContext
from slackbot.effects import effect_of
from slackbot.gitlab_client import configured, gitlab_failure, issue_template
from slackbot.outbox import Backoff, Delivery, Sender, still_there
from slackbot.work import Work

RETRIES = Backoff(first=timedelta(minutes=1), longest=timedelta(hours=1))


def file(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    settings = ctx.config.section(IntakeSection)
    gitlab_users = ctx.config.gitlab_usernames()
    name = ctx.directory.real_name
    client = configured(ctx.gitlab)
    with ctx.db.reading() as session:
        request = still_there(
            session.get(IntakeRequest, effect_of(delivery, service.FileIssue).request), "intake request"
        )
        answers, user_id, link = dict(request.answers), request.user_id, ctx.link(session, request.acknowledgement)
    project = client.projects.get(settings.intake_project, lazy=True)
    try:
        template = issue_template(project, settings.intake_template)
        pm = str(answers["pm"])
        pm_mention = (
            f"@{gitlab_users[pm]}"
            if pm in gitlab_users
            else usertext.gitlab(f"{name(pm)} (PM in Slack; no GitLab username in the bot's config)")
        )
        footer = messages.footer(usertext.gitlab(name(user_id)), link, str(answers["urgency"]), pm_mention)
        description = messages.fill_template(
            template, [(f, usertext.gitlab(str(answers[f.block_id]))) for f in messages.FIELDS], footer
        )
        issue = project.issues.create({"title": answers["title"], "description": description, "labels": ["intake"]})
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {"url": str(issue.web_url), "iid": int(issue.iid)}


def filed(ctx: BotContext, work: Work, delivery: Delivery, result: dict[str, Any]) -> None:
    request = work.session.get(IntakeRequest, effect_of(delivery, service.FileIssue).request, with_for_update=True)
    if request is not None:
        request.issue_url, request.issue_iid, request.last_error = result["url"], result["iid"], ""
        work.slack.post(
            request.user_id,
            messages.filed(result["url"], ctx.config.section(IntakeSection).intake_project, result["iid"]),
        )


def retrying(work: Work, delivery: Delivery, error: str) -> None:
    request = work.session.get(IntakeRequest, effect_of(delivery, service.FileIssue).request, with_for_update=True)
    if request is None:
        return
    request.last_error = error[:500]
    if delivery.attempts == 0:
        work.slack.post(request.user_id, messages.retrying(error))


def refused(work: Work, delivery: Delivery, error: str) -> None:
    request = work.session.get(IntakeRequest, effect_of(delivery, service.FileIssue).request, with_for_update=True)
    if request is not None:
        request.last_error = error[:500]
        work.slack.post(request.user_id, messages.refused(error))


def register(ctx: BotContext) -> None:
    ctx.outbox.register(
        service.FileIssue.KIND,
        Sender(send=partial(file, ctx), done=partial(filed, ctx), retrying=retrying, failed=refused, backoff=RETRIES),
    )
