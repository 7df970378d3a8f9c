"""Pair requests as state and the messages they decide. The first claim by someone other than the
requester wins: the row is locked, so two simultaneous clicks cannot both claim."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.pairing import messages
from handlers.pairing.config import PairingSection
from handlers.pairing.models import PairRequest
from slackbot.durations import format_duration
from slackbot.work import Work


def create(
    work: Work, channel_id: str, user: str, topic: str, area: str = "", duration: str = "", when: str = ""
) -> PairRequest:
    request = PairRequest(
        requester=user,
        topic=topic,
        area=area,
        duration=duration,
        when=when,
        created_at=work.now,
        state="open",
        channel_id=channel_id,
    )
    work.session.add(request)
    work.session.flush()
    work.slack.post(channel_id, messages.post_text(request), messages.post_blocks(request), ref=request.ref)
    return request


def show(work: Work, request: PairRequest) -> None:
    """The post shows the request's new state."""
    work.slack.update(request.ref, messages.post_text(request), messages.post_blocks(request))


def lock(session: Session, request_id: int) -> PairRequest | None:
    return session.scalar(select(PairRequest).where(PairRequest.id == request_id).with_for_update())


def claim(work: Work, request: PairRequest, user: str) -> str | None:
    if request.requester == user:
        return "That is your own request: someone else has to claim it."
    if request.state == "claimed":
        return f"Already claimed by <@{request.claimed_by}>."
    if request.state != "open":
        return f"This request is {request.state}."
    request.state, request.claimed_by, request.claimed_at = "claimed", user, work.now
    show(work, request)
    work.slack.group_dm([request.requester, user], messages.group_dm(request, user))
    return None


def cancel_mine(work: Work, user: str) -> list[PairRequest]:
    mine = list(
        work.session.scalars(
            select(PairRequest).where(PairRequest.requester == user, PairRequest.state == "open").with_for_update()
        )
    )
    for request in mine:
        request.state, request.closed_at = "cancelled", work.now
        show(work, request)
    return mine


def age(work: Work, request: PairRequest, settings: PairingSection) -> None:
    """Bump an unclaimed request once; expire it after ``expire_after``."""
    if request.state != "open":
        return
    if work.now >= request.created_at + settings.expire_after:
        request.state, request.closed_at = "expired", work.now
        show(work, request)
        work.slack.post(request.requester, messages.expired(request, settings.expire_after))
    elif request.bumped_at is None:
        request.bumped_at = work.now
        work.slack.post(request.channel_id, messages.bump(request), thread_ref=request.ref)


def due_for_ageing(session: Session, now: datetime, settings: PairingSection) -> list[int]:
    return list(
        session.scalars(
            select(PairRequest.id).where(
                PairRequest.state == "open", PairRequest.created_at <= now - settings.bump_after
            )
        )
    )


def open_requests(session: Session) -> list[PairRequest]:
    return list(session.scalars(select(PairRequest).where(PairRequest.state == "open").order_by(PairRequest.id)))


def open_requests_of(session: Session, user: str) -> list[PairRequest]:
    return list(session.scalars(select(PairRequest).where(PairRequest.requester == user, PairRequest.state == "open")))


def stats(session: Session) -> str:
    everything = list(session.scalars(select(PairRequest)))
    if not everything:
        return "No pair requests yet."
    claimed = [r for r in everything if r.claimed_at is not None]
    waits = [(r.claimed_at - r.created_at).total_seconds() for r in claimed if r.claimed_at]
    median = format_duration(timedelta(seconds=statistics.median(waits))) if waits else "n/a"
    top = Counter(r.claimed_by for r in claimed).most_common(3)
    pairers = ", ".join(f"<@{user}> ({count})" for user, count in top) or "nobody yet"
    return (
        f"*Pairing*: {len(everything)} requests, {len(claimed)} claimed, median time to claim {median}.\n"
        f"Paired most: {pairers}"
    )
