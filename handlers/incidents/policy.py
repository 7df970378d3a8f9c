"""The escalation policy as data: snapshotted when an incident opens, stepped through purely."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from handlers.incidents.config import IncidentsSection
from slackbot.providers import Key


@dataclass(frozen=True)
class Level:
    users: tuple[str, ...]
    usergroup: str
    ack_timeout: timedelta
    oncall: str = ""


@dataclass(frozen=True)
class OnCall:
    """Who is on call for a rotation at a moment (None: nobody can be paged; ``why`` says so) and how
    the timeline puts it. The on-call capability answers (``api.ON_CALL``)."""

    user: str | None
    why: str


WhoIsOnCall = Callable[[Session, str, datetime], OnCall]
ON_CALL: Key[WhoIsOnCall] = Key("incidents.on_call")
"""(session, rotation name, moment) → who is on call then, overrides and away days included."""


@dataclass(frozen=True)
class RecentDeploy:
    """A production deploy before an incident: the first question of every incident review."""

    name: str  # "train #1234"
    title: str  # plain text, as GitLab had it
    at: datetime
    url: str


DeploysBetween = Callable[[Session, datetime, datetime], list[RecentDeploy]]
RECENT_DEPLOYS: Key[DeploysBetween] = Key("incidents.recent_deploys")
"""(session, from, to) → the production deploys in that span (the deploys capability answers)."""
DEPLOYS_BEFORE = timedelta(hours=6)


def snapshot(section: IncidentsSection) -> dict[str, Any]:
    """What the incident keeps of the config, so later config edits do not change it."""
    return {
        "repeat": section.repeat,
        "levels": [
            {
                "users": list(level.users),
                "usergroup": level.usergroup,
                "oncall": level.oncall,
                "ack_timeout": level.ack_timeout.total_seconds(),
            }
            for level in section.escalation
        ],
    }


def levels(policy: dict[str, Any]) -> list[Level]:
    return [
        Level(tuple(raw["users"]), raw["usergroup"], timedelta(seconds=raw["ack_timeout"]), raw.get("oncall", ""))
        for raw in policy["levels"]
    ]


@dataclass(frozen=True)
class Step:
    """What the next escalation step does: page ``page_level`` (or, when None, announce the stop),
    then wait ``wait`` before the step at ``next_level`` of round ``rounds``."""

    page_level: int | None
    next_level: int
    rounds: int
    wait: timedelta | None


def next_step(policy: dict[str, Any], next_level: int, rounds: int) -> Step:
    chain = levels(policy)
    if next_level >= len(chain):
        return Step(None, next_level, rounds, None)
    after = next_level + 1
    if after == len(chain) and rounds < policy["repeat"]:
        after, rounds = 0, rounds + 1
    return Step(next_level, after, rounds, chain[next_level].ack_timeout)
