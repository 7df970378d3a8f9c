"""In-process notifications between capabilities, so one can react to another without importing it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

P = TypeVar("P")


class Signal(Generic[P]):
    """Receivers run in the sender's transaction: what they record commits or rolls back with it."""

    def __init__(self) -> None:
        self.receivers: list[Callable[[Session, P], None]] = []

    def connect(self, receiver: Callable[[Session, P], None]) -> None:
        self.receivers.append(receiver)

    def send(self, session: Session, payload: P) -> None:
        for receiver in self.receivers:
            receiver(session, payload)


@dataclass(frozen=True)
class ProbeAlerted:
    """A health probe crossed its failure threshold: one per outage."""

    outage_id: int
    probe: str
    url: str
    error: str
    since: datetime
    channel_id: str
    alert_ts: str


@dataclass(frozen=True)
class HomeChanged:
    """Something on these people's App Home changed (everyone's, when ``everyone``)."""

    user_ids: tuple[str, ...] = ()
    everyone: bool = False


@dataclass
class Signals:
    probe_alerted: Signal[ProbeAlerted] = field(default_factory=Signal)
    home_changed: Signal[HomeChanged] = field(default_factory=Signal)
