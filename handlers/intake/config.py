"""Where ``/intake`` files: ``intake_project`` and ``intake_template``, keys of the shared
``[gitlab]`` table (``TABLE``) that belong to this capability."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class IntakeSection:
    KEY: ClassVar[str] = "intake"
    TABLE: ClassVar[str] = "gitlab"

    intake_project: str = "gitlab-org/fulfillment-meta"
    intake_template: str = "intake"
