"""``[[status.probes]]``: the endpoints whose health is posted to the status channel."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar

from slackbot.config import Config, Duration, Problem, Url


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
class StatusSection:
    KEY: ClassVar[str] = "status"

    probes: list[Probe] = field(default_factory=list)

    def problems(self, _config: Config) -> Iterator[Problem]:
        for i, probe in enumerate(self.probes):
            if probe.failures_before_alert < 1:
                yield f"probes[{i}].failures_before_alert", "must be 1 or more"
