"""What status tells other capabilities, and what they may add to its posts: plain values, so
``api``, ``service`` and ``messages`` share them without importing each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ProbeAlerted:
    """A health probe crossed its failure threshold: one per outage (a signal other capabilities hear)."""

    outage_id: int
    probe: str
    url: str
    error: str
    since: datetime
    channel_id: str


@dataclass(frozen=True)
class FailedPipeline:
    """A failed pipeline on a watched ref, about to be posted."""

    project: str
    pipeline_id: int
    ref: str
    url: str
    failed_jobs: tuple[str, ...]


@dataclass(frozen=True)
class Button:
    text: str
    action_id: str
    value: str
    style: str = ""  # "danger", "primary"


@dataclass(frozen=True)
class Addition:
    """What a failed pipeline's post says and offers besides the failure: a line, a button."""

    line: str = ""
    button: Button | None = None
