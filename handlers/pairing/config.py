"""``[pairing]``: when an unclaimed pair request is bumped, and when it expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from slackbot.config import Duration


@dataclass(frozen=True)
class PairingSection:
    KEY: ClassVar[str] = "pairing"

    bump_after: Duration = timedelta(hours=2)
    expire_after: Duration = timedelta(hours=8)
