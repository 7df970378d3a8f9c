"""The GitLab call of reviews, made by the outbox: the claimer added to the merge request's
reviewers (``PUT /projects/:id/merge_requests/:iid`` with ``reviewer_ids``, keeping the ones set)."""

from __future__ import annotations

from functools import partial
from typing import Any

from handlers.reviews import service
from handlers.reviews.models import ReviewClaim, ReviewRequest
from slackbot.context import BotContext
from slackbot.effects import effect_of
from slackbot.gitlab_client import configured, gitlab_failure, user_id
from slackbot.outbox import Delivery, DeliveryError, Gone, Sender
from slackbot.work import Work


def set_reviewer(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    effect = effect_of(delivery, service.SetReviewer)
    with ctx.db.reading() as session:
        claim = session.get(ReviewClaim, effect.claim)
        request = session.get(ReviewRequest, claim.request_id) if claim is not None else None
        if request is None:
            raise Gone("the review request is gone")
        project_path, iid = request.project, request.mr_iid
    client = configured(ctx.gitlab)
    try:
        reviewer = user_id(client, effect.username)
        merge_request = client.projects.get(project_path, lazy=True).mergerequests.get(iid)
        current = [int(r["id"]) for r in merge_request.reviewers or []]
        if reviewer not in current:
            merge_request.reviewer_ids = [*current, reviewer]
            merge_request.save()
    except DeliveryError:
        raise
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {}


def reviewer_added(work: Work, delivery: Delivery, _result: dict[str, Any]) -> None:
    service.reviewer_set(work, effect_of(delivery, service.SetReviewer).claim, "set")


def refused(work: Work, delivery: Delivery, error: str) -> None:
    effect = effect_of(delivery, service.SetReviewer)
    service.reviewer_set(work, effect.claim, "failed")
    work.slack.respond(effect.response_url, f"GitLab did not set you as a reviewer: {error}")


def register(ctx: BotContext) -> None:
    ctx.outbox.register(
        service.SetReviewer.KIND,
        Sender(
            send=partial(set_reviewer, ctx),
            done=reviewer_added,
            failed=refused,
        ),
    )
