"""Scheduled: a review request still missing reviewers, or still not reviewed, after ``nudge_after``
is nudged once, mentioning only people at work now."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from handlers.reviews import service
from handlers.reviews.config import ReviewsSection
from handlers.reviews.models import ReviewRequest
from handlers.standups import api as standups
from slackbot.context import BotContext


def whom(ctx: BotContext, session: Session, request: ReviewRequest, now: datetime) -> service.Nudge:
    """For what is missing, the maintainers (and database reviewers) at work; for a request that has
    its reviewers, those of them at work."""
    section = ctx.config.section(ReviewsSection)
    claims = service.claims_of(session, request.id)
    needs = service.missing(request.kind, claims)
    if needs:
        group = ctx.access.groups.members(session, section.maintainers_usergroup)
        wanted = [*section.maintainers, *sorted(group)]
        if "a database reviewer" in needs:
            wanted += section.database_reviewers
        taken = {c.user for c in claims} | {request.requester}
        candidates = list(dict.fromkeys(u for u in wanted if u not in taken))
    else:
        candidates = [c.user for c in claims]
    zones = ctx.directory.timezones(session, candidates)
    return service.Nudge(needs, [u for u in candidates if standups.at_work(session, ctx.config, u, zones[u], now)])


def nudge(ctx: BotContext, now: datetime) -> None:
    section = ctx.config.section(ReviewsSection)
    with ctx.db.reading() as session:
        due = service.due_for_nudge(session, now, section.nudge_after)
    for request_id in due:
        with ctx.work() as work:
            request = service.lock(work.session, request_id)
            if request is not None and request.state == "open" and request.nudged_at is None:
                service.nudge(work, request, whom(ctx, work.session, request, work.now))


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("reviews.nudge", partial(nudge, ctx))
