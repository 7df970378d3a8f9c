"""``[incidents]``: whether probe alerts declare incidents, and the escalation policy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar

from slackbot.config import Config, Duration, Problem, SlackUser


@dataclass(frozen=True)
class EscalationLevel:
    ack_timeout: Duration
    users: list[SlackUser] = field(default_factory=list)
    usergroup: str = ""
    oncall: str = ""  # a rotation's name: whoever is on call when the level runs


@dataclass(frozen=True)
class IncidentsSection:
    KEY: ClassVar[str] = "incidents"

    declare_on_probe_alert: bool = True
    repeat: int = 1
    escalation: list[EscalationLevel] = field(default_factory=list)
    channel: bool = False  # a channel #inc-<id>-<slug> per incident
    archive_after: Duration = timedelta(days=7)
    update_every: Duration = timedelta(minutes=30)  # "0s": no reminders to post a status update
    gitlab_project: str = ""  # where the incident issue is filed on resolve ("": gitlab.app_project)
    labels: list[str] = field(default_factory=list)
    deploy_jobs: list[str] = field(default_factory=list)  # job name patterns that mark a failed deploy
    declare_on_deploy_failure: bool = False

    def issue_project(self, config: Config) -> str:
        return self.gitlab_project or config.gitlab.app_project

    def problems(self, config: Config) -> Iterator[Problem]:
        rotations = {r.name for r in getattr(config.sections.get("oncall"), "rotations", [])}
        for i, level in enumerate(self.escalation):
            if [bool(level.users), bool(level.usergroup), bool(level.oncall)].count(True) != 1:
                yield f"escalation[{i}]", "needs exactly one of users, usergroup or oncall"
            elif level.oncall and level.oncall not in rotations:
                yield f"escalation[{i}].oncall", f'"{level.oncall}" is not the name of an [[oncall.rotations]] entry'

        if self.repeat < 0:
            yield "repeat", "must be 0 or more"
        for i, pattern in enumerate(self.deploy_jobs):
            if not pattern.strip():
                yield f"deploy_jobs[{i}]", "must not be empty"
        if self.declare_on_deploy_failure and not self.deploy_jobs:
            yield "declare_on_deploy_failure", "needs incidents.deploy_jobs (the job names that deploy)"
