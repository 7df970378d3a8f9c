"""``[[oncall.rotations]]``: who takes the pager in turn, when it passes on, and where that is said."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from handlers.oncall.schedule import Plan, parse_handoff
from slackbot.config import Config, Date, Duration, Problem, SlackUser, TimeZoneName, channel_problem

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Rotation:
    name: str
    users: list[SlackUser]
    handoff: str
    start: Date
    length: Duration = timedelta(weeks=1)
    timezone: TimeZoneName = ""
    usergroup: str = ""
    announce: str = ""

    def plan(self, team_zone: str) -> Plan:
        return Plan(
            name=self.name,
            users=tuple(self.users),
            handoff=parse_handoff(self.handoff),
            length_days=self.length // DAY,
            zone=ZoneInfo(self.timezone or team_zone),
            start=self.start,
        )

    def problems(self) -> Iterator[Problem]:
        if not self.name.strip():
            yield "name", "must not be empty"
        if not self.users:
            yield "users", "needs at least one Slack user ID"
        try:
            handoff = parse_handoff(self.handoff)
        except ValueError as exc:
            yield "handoff", str(exc)
        else:
            if handoff.weekday is not None and self.length % timedelta(weeks=1):
                yield "handoff", 'names a weekday, so length must be whole weeks ("1w"); say "10:00" for "1d"'
        if self.length < DAY or self.length % DAY:
            yield "length", 'must be whole days, such as "1d" or "1w"'
        if self.announce and (problem := channel_problem(self.announce)):
            yield "announce", problem


@dataclass(frozen=True)
class OncallSection:
    KEY: ClassVar[str] = "oncall"

    rotations: list[Rotation] = field(default_factory=list)

    def problems(self, _config: Config) -> Iterator[Problem]:
        seen: set[str] = set()
        for i, rotation in enumerate(self.rotations):
            for path, message in rotation.problems():
                yield f"rotations[{i}].{path}", message
            if rotation.name in seen:
                yield f"rotations[{i}].name", f'"{rotation.name}" is used twice'
            seen.add(rotation.name)

    def rotation(self, name: str) -> Rotation | None:
        return next((r for r in self.rotations if r.name == name), None)

    def plans(self, team_zone: str) -> dict[str, Plan]:
        return {r.name: r.plan(team_zone) for r in self.rotations}
