"""Review requests as state and what they decide. The handbook's rules ("Approving and merging the
work") are shown, not enforced: each kind of request needs some reviewers, the post says which are
still missing and offers `I'll review` until none is. Claims are made on the locked request, so two
clicks at once cannot both take the last place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.reviews import messages
from handlers.reviews.events import MergeRequestEvent
from handlers.reviews.models import ReviewClaim, ReviewRequest
from slackbot.effects import Effect
from slackbot.work import Work

KINDS = ("", "trivial", "maintainer", "database", "ux")
ANYONE = ("a reviewer", "a second reviewer", "another reviewer")  # places any reviewer takes
REVIEWERS = {"": 2, "trivial": 1, "maintainer": 1, "database": 2, "ux": 1}  # how many, the named ones among them


@dataclass(frozen=True)
class SetReviewer(Effect):
    """Add the claimer to the merge request's reviewers (``PUT .../merge_requests/:iid``)."""

    KIND: ClassVar[str] = "reviews.set_reviewer"
    claim: int
    username: str  # on GitLab
    response_url: str  # where a refusal is told to the claimer


@dataclass(frozen=True)
class Roles:
    """What a person counts as for the handbook's rules, from ``[reviews]``."""

    maintainer: bool = False
    database: bool = False


def missing(kind: str, claims: list[ReviewClaim]) -> list[str]:
    """Who the request still needs, in the handbook's words: two reviewers including a maintainer
    (one for a trivial MR), a database reviewer and a maintainer for a database change."""
    needs = []
    if kind == "database" and not any(c.database for c in claims):
        needs.append("a database reviewer")
    if kind in ("", "maintainer", "database") and not any(c.maintainer for c in claims):
        needs.append("a maintainer")
    others = REVIEWERS[kind] - len(claims) - len(needs)
    if others > 0:
        needs += [ANYONE[0] if not claims else ANYONE[1]] + [ANYONE[2]] * (others - 1)
    return needs


def create(
    work: Work, project: str, iid: int, url: str, kind: str, note: str, requester: str, channel_id: str
) -> ReviewRequest:
    request = ReviewRequest(
        project=project,
        mr_iid=iid,
        url=url,
        kind=kind,
        note=note,
        requester=requester,
        channel_id=channel_id,
        created_at=work.now,
        state="open",
        approved_by=[],
    )
    work.session.add(request)
    work.session.flush()
    work.slack.post(channel_id, *post(request, []), ref=request.ref)
    return request


def post(request: ReviewRequest, claims: list[ReviewClaim]) -> tuple[str, list[dict[str, Any]]]:
    needs = missing(request.kind, claims) if request.state == "open" else []
    return messages.post(request, claims, needs)


def claims_of(session: Session, request_id: int) -> list[ReviewClaim]:
    return list(
        session.scalars(select(ReviewClaim).where(ReviewClaim.request_id == request_id).order_by(ReviewClaim.id))
    )


def show(work: Work, request: ReviewRequest) -> None:
    """The post shows the request's state now."""
    work.slack.update(request.ref, *post(request, claims_of(work.session, request.id)))


def lock(session: Session, request_id: int) -> ReviewRequest | None:
    return session.scalar(select(ReviewRequest).where(ReviewRequest.id == request_id).with_for_update())


def claim(work: Work, request: ReviewRequest, user: str, roles: Roles, username: str, response_url: str) -> str | None:
    """`I'll review`: the claim, the post updated, and the claimer set as a reviewer on the MR (when
    ``[[people]]`` gives their GitLab username). An answer is a refusal."""
    if request.state != "open":
        return f"This merge request is {request.state}: it needs no more reviewers."
    if request.requester == user:
        return "That is your own request: someone else has to review it."
    claims = claims_of(work.session, request.id)
    if any(c.user == user for c in claims):
        return "You are already reviewing it."
    needs = missing(request.kind, claims)
    if not needs:
        return "It has all the reviewers it needs."
    helps = (
        any(n in ANYONE for n in needs)
        or (roles.maintainer and "a maintainer" in needs)
        or (roles.database and "a database reviewer" in needs)
    )
    if not helps:
        return f"It still needs {' and '.join(needs)}, which you are not in `[reviews]`: thank you all the same."
    taken = ReviewClaim(
        request_id=request.id,
        user=user,
        at=work.now,
        maintainer=roles.maintainer,
        database=roles.database,
        gitlab_state="pending" if username else "no_account",
    )
    work.session.add(taken)
    work.session.flush()
    if username:
        work.out.add_effect(SetReviewer(taken.id, username, response_url), lane=f"gitlab:{request.project}")
    show(work, request)
    return None


def reviewer_set(work: Work, claim_id: int, state: str) -> ReviewRequest | None:
    """What GitLab answered to setting a reviewer, shown on the post."""
    found = work.session.get(ReviewClaim, claim_id)
    if found is None:
        return None
    found.gitlab_state = state
    request = lock(work.session, found.request_id)
    if request is not None:
        show(work, request)
    return request


def for_merge_request(session: Session, project: str, iid: int) -> list[ReviewRequest]:
    return list(
        session.scalars(
            select(ReviewRequest)
            .where(ReviewRequest.project == project, ReviewRequest.mr_iid == iid)
            .order_by(ReviewRequest.id)
            .with_for_update()
        )
    )


def heard(work: Work, event: MergeRequestEvent) -> list[ReviewRequest]:
    """GitLab's Merge Request Hook: approvals, merge, close and reopen reach each request of the MR.
    The same hook twice changes nothing the second time."""
    changed = []
    for request in for_merge_request(work.session, event.project, event.iid):
        before = (request.state, list(request.approved_by), request.title)
        request.title = event.title or request.title
        if event.action in ("approval", "approved") and event.user and event.user not in request.approved_by:
            request.approved_by = [*request.approved_by, event.user]
        elif event.action in ("unapproval", "unapproved") and event.user in request.approved_by:
            request.approved_by = [u for u in request.approved_by if u != event.user]
        if event.state in ("merged", "closed") and request.state == "open":
            request.state, request.closed_at = event.state, work.now
        elif event.state == "opened" and request.state == "closed":
            request.state, request.closed_at = "open", None
        if (request.state, request.approved_by, request.title) != before:
            show(work, request)
            changed.append(request)
    return changed


def due_for_nudge(session: Session, now: datetime, nudge_after: timedelta) -> list[int]:
    return list(
        session.scalars(
            select(ReviewRequest.id).where(
                ReviewRequest.state == "open",
                ReviewRequest.nudged_at.is_(None),
                ReviewRequest.created_at <= now - nudge_after,
            )
        )
    )


@dataclass(frozen=True)
class Nudge:
    """Who a nudge mentions: for what is missing, the people who can give it and are at work now;
    for a covered request not yet approved, its reviewers at work."""

    needs: list[str]
    people: list[str]


def nudge(work: Work, request: ReviewRequest, whom: Nudge) -> None:
    """Once: a reply under the post; none for a request with its reviewers that GitLab says is
    approved (merging it is its author's move)."""
    request.nudged_at = work.now
    if not whom.needs and request.approved_by:
        return
    text = messages.nudge(request, whom.needs, whom.people, work.now - request.created_at)
    work.slack.post(request.channel_id, text, thread_ref=request.ref)


def open_requests(session: Session) -> list[ReviewRequest]:
    return list(session.scalars(select(ReviewRequest).where(ReviewRequest.state == "open").order_by(ReviewRequest.id)))


def requested_by(session: Session, user: str) -> list[ReviewRequest]:
    return list(
        session.scalars(
            select(ReviewRequest)
            .where(ReviewRequest.requester == user, ReviewRequest.state == "open")
            .order_by(ReviewRequest.id)
        )
    )


def reviewing(session: Session, user: str) -> list[ReviewRequest]:
    return list(
        session.scalars(
            select(ReviewRequest)
            .join(ReviewClaim, ReviewClaim.request_id == ReviewRequest.id)
            .where(ReviewClaim.user == user, ReviewRequest.state == "open")
            .order_by(ReviewRequest.id)
        )
    )
