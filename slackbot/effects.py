"""Typed outbox payloads: one frozen dataclass per kind of effect, encoded and decoded here only.

An effect's fields are what the sender needs to find its subject when it sends (IDs, not texts
that can be read again: Sentry's outbox rule), and plain JSON values. Each kind has a ``VERSION``;
a row keeps the version it was written with. A sender reads a row written by an older version
through ``upgrade`` (the kind's own, when its shape changed), and refuses, for now, a row written
by a newer one (a replica already upgraded wrote it: it is retried, and taken once this replica is
upgraded too), so a rolling deploy never misreads a payload.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from slackbot.outbox import Delivery, TryAgain

E = TypeVar("E", bound="Effect")
VERSION_FIELD = "v"


@dataclass(frozen=True)
class Effect:
    KIND: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def encode(self) -> dict[str, Any]:
        return {VERSION_FIELD: self.VERSION, **dataclasses.asdict(self)}

    @classmethod
    def upgrade(cls, version: int, values: dict[str, Any]) -> dict[str, Any]:
        """The values of a row written with an older ``version``, in the current shape."""
        return values

    @classmethod
    def decode(cls: type[E], args: dict[str, Any]) -> E:
        version = int(args.get(VERSION_FIELD, 1))
        if version > cls.VERSION:
            raise TryAgain(f"{cls.KIND} version {version} is newer than this process's {cls.VERSION}")
        values = cls.upgrade(version, {k: v for k, v in args.items() if k != VERSION_FIELD})
        return cls(**{f.name: values[f.name] for f in dataclasses.fields(cls) if f.name in values})


def effect_of(delivery: Delivery, kind: type[E]) -> E:
    """The typed effect a row carries."""
    return kind.decode(delivery.args)
