"""Once-only effects: a key is claimed in the same transaction as the effect it guards.

Events (``event:<event_id>``), webhook deliveries and scheduled steps all use the same table, so
a retry or a second replica finds the key taken and does nothing.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slackbot.models import ProcessedKey


def claim(session: Session, key: str, now: datetime) -> bool:
    """Record ``key``; False when it was recorded before (by this or another transaction)."""
    if session.get(ProcessedKey, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedKey(key=key, processed_at=now))
    except IntegrityError:
        return False
    return True


def is_claimed(session: Session, key: str) -> bool:
    return session.scalar(select(ProcessedKey.key).where(ProcessedKey.key == key)) is not None


def event_key(event_id: str) -> str:
    return f"event:{event_id}"
