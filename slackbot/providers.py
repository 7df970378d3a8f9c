"""Questions one capability answers for another, typed: "who is on call", "on which days were
incidents declared", "what should a failed deploy's post offer".

The capability that asks defines the question in its public surface (``api.py``) as a ``Key``
naming the type of the answer; the capability that knows provides the answer when it registers.
Neither imports the other's internals, and the plumbing only keeps the registry (as Netflix
Dispatch's plugin bases separate what is asked from who answers). A question nobody answers (the
answering capability is not installed) gets None, and the asker decides what that means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Key(Generic[T]):
    """A question, named; ``T`` is the type of its answer (usually a callable)."""

    name: str


class Providers:
    def __init__(self) -> None:
        self._answers: dict[str, Any] = {}

    def provide(self, key: Key[T], answer: T) -> None:
        if key.name in self._answers:
            raise ValueError(f"{key.name!r} is answered twice")
        self._answers[key.name] = answer

    def get(self, key: Key[T]) -> T | None:
        found: T | None = self._answers.get(key.name)
        return found
