"""``[[status.probes]]``: the endpoints whose health is posted to the status channel, and
``[[status.heartbeats]]``: the scheduled jobs that must check in (or whose pipeline must pass)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar

from slackbot.config import Config, Cron, Duration, Problem, Url


@dataclass(frozen=True)
class Probe:
    name: str
    url: Url
    interval: Duration = timedelta(minutes=1)
    timeout: Duration = timedelta(seconds=10)
    expect_status: int = 200
    failures_before_alert: int = 2
    cert_warn_days: list[int] = field(default_factory=lambda: [14, 7, 1])


@dataclass(frozen=True)
class PipelineMatch:
    """A passed pipeline of ``gitlab.app_project`` that counts as a heartbeat's check-in."""

    ref: str = ""  # "": no pipeline counts
    source: str = ""  # "": any source (push, schedule, web, ...)


@dataclass(frozen=True)
class Heartbeat:
    name: str
    expect: Cron  # when a check-in is due, UTC
    grace: Duration = timedelta(hours=1)
    pipeline: PipelineMatch = field(default_factory=PipelineMatch)

    @property
    def outage_name(self) -> str:
        return f"Heartbeat {self.name}"

    def counts(self, ref: str, source: str) -> bool:
        return bool(self.pipeline.ref) and ref == self.pipeline.ref and self.pipeline.source in ("", source)


@dataclass(frozen=True)
class StatusSection:
    KEY: ClassVar[str] = "status"

    probes: list[Probe] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)

    def heartbeat(self, name: str) -> Heartbeat | None:
        return next((h for h in self.heartbeats if h.name == name), None)

    def problems(self, _config: Config) -> Iterator[Problem]:
        for i, probe in enumerate(self.probes):
            if probe.failures_before_alert < 1:
                yield f"probes[{i}].failures_before_alert", "must be 1 or more"
        names = [h.name for h in self.heartbeats]
        for i, beat in enumerate(self.heartbeats):
            if not beat.name or not all(c.isalnum() or c in "-_." for c in beat.name):
                yield f"heartbeats[{i}].name", "letters, digits, '-', '_' and '.' only (it is part of a URL)"
            elif names.count(beat.name) > 1:
                yield f"heartbeats[{i}].name", f'"{beat.name}" is listed twice'
            if beat.grace < timedelta(minutes=1):
                yield f"heartbeats[{i}].grace", "must be at least 1m"
