"""``[deploys]``: the project and ref whose pipelines are the deploy train, the job names of its
stages, who may expedite, and ``[[deploys.change_locks]]`` (production change locks)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import ClassVar

from slackbot.config import Config, LocalTime, Problem, SlackUser


@dataclass(frozen=True)
class ChangeLock:
    name: str
    start: LocalTime = field(metadata={"key": "from"})  # ``from`` is a Python keyword
    to: LocalTime = field()
    dris: list[SlackUser] = field(default_factory=list)

    def span(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """``from`` and ``to``, placed in the team's timezone."""
        return self.start.replace(tzinfo=zone), self.to.replace(tzinfo=zone)


@dataclass(frozen=True)
class DeploysSection:
    KEY: ClassVar[str] = "deploys"

    project: str = ""  # "": gitlab.app_project
    ref: str = "staging"
    stages: list[str] = field(default_factory=lambda: ["deploy:staging", "e2e:staging", "deploy:production"])
    maintainers: list[SlackUser] = field(default_factory=list)
    change_locks: list[ChangeLock] = field(default_factory=list)

    def project_of(self, config: Config) -> str:
        return self.project or config.gitlab.app_project

    def problems(self, _config: Config) -> Iterator[Problem]:
        if not self.stages:
            yield "stages", "needs at least the production job's name"
        names = [lock.name for lock in self.change_locks]
        for i, lock in enumerate(self.change_locks):
            if lock.to <= lock.start:
                yield f"change_locks[{i}].to", "must be after from"
            if names.count(lock.name) > 1:
                yield f"change_locks[{i}].name", f'"{lock.name}" is listed twice'
