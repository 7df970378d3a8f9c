"""In-process notifications between capabilities, so one can react to another without importing it.

A signal is named by its payload's type, which the sending capability defines. Receivers run in
the sender's unit of work: what they record (state and outbox rows) commits or rolls back with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from slackbot.work import Work

P = TypeVar("P")


class Signals:
    def __init__(self) -> None:
        self._receivers: dict[type, list[Callable[[Work, Any], None]]] = {}

    def connect(self, kind: type[P], receiver: Callable[[Work, P], None]) -> None:
        self._receivers.setdefault(kind, []).append(receiver)

    def send(self, work: Work, payload: object) -> None:
        for receiver in self._receivers.get(type(payload), []):
            receiver(work, payload)
