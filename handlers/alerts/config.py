"""``[alerts]`` (where alert groups are posted, how alerts are grouped, when a silent one counts as
resolved, and the routes that decide what pages) and ``[[maintenance]]`` (windows from the config)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, ClassVar

from slackbot.config import Config, Duration, LocalTime, Problem, channel_problem

SEVERITIES = {1: "sev1", 2: "sev2", 3: "sev3"}


def _labels(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise ValueError('expected a table of label = "value"')
    return dict(raw)


Labels = Annotated[dict[str, str], _labels]


@dataclass(frozen=True)
class Route:
    match: Labels = field(default_factory=dict)  # label = value, all must hold; empty matches every alert
    declare: bool = False  # open one incident for the group (paged per [incidents])
    severity: int = 2

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match.items())


@dataclass(frozen=True)
class AlertsSection:
    KEY: ClassVar[str] = "alerts"

    channel: str = "status"
    group_by: list[str] = field(default_factory=lambda: ["alertname", "service"])
    resolve_after: Duration = timedelta(hours=4)
    routes: list[Route] = field(default_factory=list)

    def route_for(self, labels: Mapping[str, str]) -> Route | None:
        """The first route whose labels match: first match wins, as in Alertmanager."""
        return next((r for r in self.routes if r.matches(labels)), None)

    def problems(self, _config: Config) -> Iterator[Problem]:
        if problem := channel_problem(self.channel):
            yield "channel", problem
        if self.resolve_after < timedelta(minutes=1):
            yield "resolve_after", "must be at least 1m"
        for i, route in enumerate(self.routes):
            if route.severity not in SEVERITIES:
                yield f"routes[{i}].severity", "must be 1, 2 or 3"


@dataclass(frozen=True)
class Window:
    service: str  # a probe's name or an alert's ``service`` label
    start: LocalTime = field(metadata={"key": "from"})  # ``from`` is a Python keyword
    to: LocalTime = field()
    reason: str = ""


@dataclass(frozen=True)
class MaintenanceSection:
    """``[[maintenance]]``: windows set in the config (``/maintenance`` sets more from Slack)."""

    KEY: ClassVar[str] = "maintenance"
    ARRAY: ClassVar[bool] = True

    windows: list[Window] = field(default_factory=list)

    def problems(self, _config: Config) -> Iterator[Problem]:
        for i, window in enumerate(self.windows):
            if window.to <= window.start:
                yield f"[{i}].to", "must be after from"
