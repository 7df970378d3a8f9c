"""``[blockers]``: a user group whose members may also open and lift production blockers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class BlockersSection:
    KEY: ClassVar[str] = "blockers"

    usergroup: str = ""  # handle, without "@"
