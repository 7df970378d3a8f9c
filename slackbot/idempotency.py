"""Once-only scheduled steps: a key is claimed in the same transaction as the effect it guards.

A weekly digest, a cadence post: a second replica or a restart finds the key taken and does
nothing. (Events and webhooks are de-duplicated by the inbox, by their own IDs.)
"""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slackbot.models import ProcessedKey


def claim(session: Session, key: str, now: datetime) -> bool:
    """Record ``key``; False when it was recorded before (by this or another transaction)."""
    if claimed(session, key):
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedKey(key=key, processed_at=now))
    except IntegrityError:
        return False
    return True


def claimed(session: Session, key: str) -> bool:
    """Whether ``key`` was claimed already: a read, for a job that would otherwise open a write
    transaction on every tick only to find its work done."""
    return session.get(ProcessedKey, key) is not None
