"""The GitLab calls behind ``/blocker``, made by the outbox: the issue, then what follows."""

from __future__ import annotations

from functools import partial
from typing import Any

from handlers.blockers import messages, service
from handlers.blockers.models import Blocker
from slackbot import usertext
from slackbot.context import BotContext
from slackbot.effects import effect_of
from slackbot.gitlab_client import configured, gitlab_failure
from slackbot.mrkdwn import plain
from slackbot.outbox import Delivery, DeliveryError, Refused, Sender, still_there
from slackbot.work import Work


def project(ctx: BotContext, path: str) -> Any:
    return configured(ctx.gitlab).projects.get(path, lazy=True)


def open_issue(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    with ctx.db.reading() as session:
        blocker = still_there(session.get(Blocker, effect_of(delivery, service.OpenIssue).blocker), "blocker request")
        reason, user, path = blocker.reason, blocker.opened_by, blocker.project
    who = ctx.directory.real_name(user)
    try:
        issue = project(ctx, path).issues.create(
            {
                "title": messages.title(plain(reason)),
                "description": messages.description(usertext.gitlab(plain(reason)), usertext.gitlab(who)),
                "labels": [messages.LABEL],
                "confidential": False,
            }
        )
    except DeliveryError:
        raise
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {"iid": int(issue.iid), "title": str(issue.title), "url": str(issue.web_url)}


def issue_opened(ctx: BotContext, work: Work, delivery: Delivery, result: dict[str, Any]) -> None:
    effect = effect_of(delivery, service.OpenIssue)
    blocker = service.opened(work, effect.blocker, result["iid"], result["title"], result["url"])
    if blocker is None:
        return
    announcement = messages.opened_announcement(blocker.opened_by, result["url"], result["iid"], blocker.reason)
    work.slack.post(ctx.channel("status"), announcement)
    work.slack.respond(effect.response_url, messages.opened_answer(result["url"], result["iid"]))
    ctx.signals.send(work, service.BlockerOpened(blocker.id, result["url"]))


def open_refused(work: Work, delivery: Delivery, error: str) -> None:
    blocker = work.session.get(Blocker, effect_of(delivery, service.OpenIssue).blocker, with_for_update=True)
    if blocker is not None:
        blocker.state = "failed"
        work.slack.post(blocker.opened_by, messages.refused(error))


def lift_issue(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    """Closes the issue only while it is still an open ``production::blocker``: checked at send
    time, against GitLab, since a label can be removed there after the request was recorded."""
    try:
        lift = effect_of(delivery, service.CloseIssue)
        issue = project(ctx, lift.project).issues.get(lift.iid)
        if issue.state != "opened" or messages.LABEL not in (issue.labels or []):
            raise Refused(messages.no_longer_a_blocker(lift.iid))
        issue.state_event = "close"
        issue.save()
    except DeliveryError:
        raise
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {"url": str(issue.web_url)}


def issue_lifted(ctx: BotContext, work: Work, delivery: Delivery, result: dict[str, Any]) -> None:
    lift = effect_of(delivery, service.CloseIssue)
    for blocker_id in service.lifted(work, lift.project, lift.iid, lift.user):
        ctx.signals.send(work, service.BlockerLifted(blocker_id))
    work.slack.post(ctx.channel("status"), messages.lifted_announcement(lift.user, result["url"], lift.iid))
    work.slack.respond(lift.response_url, messages.closed_answer(result["url"], lift.iid))


def tell(work: Work, delivery: Delivery, error: str, text: str) -> None:
    work.slack.respond(str(delivery.args["response_url"]), text)  # both kinds carry it


def told_once(render: Any) -> Any:
    def retrying(work: Work, delivery: Delivery, error: str) -> None:
        if delivery.attempts == 0:
            tell(work, delivery, error, render(error))

    return retrying


def lift_refused(work: Work, delivery: Delivery, error: str) -> None:
    left_alone = messages.no_longer_a_blocker(effect_of(delivery, service.CloseIssue).iid)
    tell(work, delivery, error, left_alone if error == left_alone else messages.refused(error))


def register(ctx: BotContext) -> None:
    ctx.outbox.register(
        service.OpenIssue.KIND,
        Sender(
            send=partial(open_issue, ctx),
            done=partial(issue_opened, ctx),
            failed=open_refused,
            retrying=told_once(messages.retrying),
        ),
    )
    ctx.outbox.register(
        service.CloseIssue.KIND,
        Sender(
            send=partial(lift_issue, ctx),
            done=partial(issue_lifted, ctx),
            failed=lift_refused,
            retrying=told_once(messages.retrying),
        ),
    )
