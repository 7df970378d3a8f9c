"""``fulfillbot parked``: inbound events and outbound effects that failed for good, after their
retries. An operator reads the last error, fixes the cause (a scope, an invitation, a GitLab
project), then puts the item back in line or drops it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from slackbot.db import Database
from slackbot.models import InboxItem, OutboxItem

NOT_AN_ID = "`{}` is not an ID of a parked item: they look like in-12 or out-34."
NOT_PARKED = "{} is not a parked item (see `fulfillbot parked`)."


def _load(session: Session, text: str) -> InboxItem | OutboxItem | str:
    """The parked item this ID names, or what to say when it names none."""
    prefix, _, number = text.strip().lower().partition("-")
    if prefix not in ("in", "out") or not number.isdigit():
        return NOT_AN_ID.format(text)
    item: InboxItem | OutboxItem | None = (
        session.get(InboxItem, int(number)) if prefix == "in" else session.get(OutboxItem, int(number))
    )
    if item is None or item.state != "parked":
        return NOT_PARKED.format(text)
    return item


def listing(db: Database) -> list[str]:
    with db.reading() as session:
        inbound = session.scalars(select(InboxItem).where(InboxItem.state == "parked").order_by(InboxItem.id))
        lines = [
            f"in-{i.id}  {i.received_at:%Y-%m-%d %H:%M} UTC  {i.source} {i.kind}  "
            f"after {i.attempts} tries: {i.last_error}"
            for i in inbound
        ]
        outbound = session.scalars(select(OutboxItem).where(OutboxItem.state == "parked").order_by(OutboxItem.id))
        lines += [
            f"out-{o.id}  {o.created_at:%Y-%m-%d %H:%M} UTC  {_describe(o)}  after {o.attempts} tries: {o.last_error}"
            for o in outbound
        ]
    return lines


def _describe(item: OutboxItem) -> str:
    method = item.args.get("method") if isinstance(item.args, dict) else None
    return f"{item.kind} {method}" if method else item.kind


def retry(db: Database, text: str) -> tuple[bool, str]:
    """Put a parked item back in line: it is tried again at once, with a fresh count of attempts."""
    with db.transaction() as session:
        item = _load(session, text)
        if isinstance(item, str):
            return False, item
        item.state, item.attempts, item.last_error = "pending", 0, ""
        item.next_attempt_at = item.received_at if isinstance(item, InboxItem) else item.created_at
    return True, f"{text} is back in line; the running bot picks it up on its next tick."


def drop(db: Database, text: str) -> tuple[bool, str]:
    with db.transaction() as session:
        item = _load(session, text)
        if isinstance(item, str):
            return False, item
        item.state = "dropped"
    return True, f"{text} is dropped."
