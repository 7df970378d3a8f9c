"""Who may do what: the one place every command, button, shortcut and modal asks before it changes
anything (CONTRACT.md, "Who may do what").

A capability names what it guards with a ``Rule`` (what the action is, who may do it, and the roles
that allow it) and either declares it where it registers the action (``CommandRouter.add(...,
allowed=RULE)``) or asks ``require`` once it holds the subject the rule is about (an incident, a
rotation). A refusal raises ``NotAllowed``; the command and interaction plumbing turns it into an
ephemeral answer naming who may do it and one warning line, and rolls back the unit of work, so a
refused request has no other effect.

Roles are registered by the capabilities that know them (the incidents capability knows its
responders, the on-call capability its rotations' members), so a capability can use another's role
by its name without importing it. ``[slack] admins`` hold every role. Requests from another
workspace (Slack Connect guests in a shared channel) are refused before any of this, at the edge.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from slackbot.db import Database, upsert
from slackbot.models import SlackCache

log = logging.getLogger(__name__)

ELSEWHERE = "I only take requests from people of this bot's own workspace, so nothing was changed."
GROUP_KEY = "usergroup:"  # slack_cache rows that hold a user group's members
GROUPS_READ_EVERY = 600.0  # seconds between two reads of the user groups' members
PEOPLE_KEPT = 600.0  # seconds a users.info answer is trusted


class NotAllowed(Exception):
    """The person may not do this; the message says who may."""


@dataclass(frozen=True)
class Rule:
    """Who may do an action, besides ``[slack] admins``: people holding any of ``roles``.

    ``doing`` completes "Only ... may ...", ``who`` names the people the roles stand for."""

    doing: str
    who: str
    roles: tuple[str, ...]

    def refusal(self) -> str:
        who = f"{self.who}, or an admin," if self.who else "an admin"
        return f"Only {who} may {self.doing}. Nothing was changed."


Role = Callable[[Session, str, Any], bool]  # (session, user, the subject the rule is about) -> holds it


class GroupMembers:
    """The members of the Slack user groups that roles name, as Slack lists them: read by the
    scheduler's holder with one ``usergroups.list`` call (``include_users``) every ten minutes and at
    start, and kept in the database, so a check inside a unit of work never calls Slack."""

    def __init__(self, db: Database, client: WebClient):
        self.db = db
        self.client = client
        self.handles: set[str] = set()
        self._read_at = -GROUPS_READ_EVERY

    def watch(self, handle: str) -> None:
        if handle:
            self.handles.add(handle.lstrip("@"))

    def members(self, session: Session, handle: str) -> frozenset[str]:
        row = session.get(SlackCache, GROUP_KEY + handle.lstrip("@"))
        return frozenset(row.value) if row is not None and isinstance(row.value, list) else frozenset()

    def refresh(self, now: datetime) -> None:
        """Read the watched groups' members (at most every ten minutes); on failure keep what is known."""
        if not self.handles or time.monotonic() - self._read_at < GROUPS_READ_EVERY:
            return
        try:
            groups = self.client.usergroups_list(include_users=True)["usergroups"]
        except (SlackApiError, OSError) as exc:
            log.warning("could not read the user groups' members (%s); keeping the last known", exc)
            return
        self._read_at = time.monotonic()
        found = {str(g.get("handle")): [str(u) for u in g.get("users") or []] for g in groups}
        with self.db.transaction() as session:
            for handle in sorted(self.handles):
                if handle in found:
                    values = {"key": GROUP_KEY + handle, "value": found[handle], "updated_at": now}
                    upsert(session, SlackCache, values, ("key",))
        for handle in sorted(self.handles - set(found)):
            log.warning("user group @%s does not exist in Slack: nobody holds a role through it", handle)


class People:
    """Whether a user ID is an active human member of the workspace, from ``users.info``, asked
    outside any transaction before a person is put somewhere (on call, at the lead of an incident)."""

    def __init__(self, client: WebClient):
        self.client = client
        self._known: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def is_active_human(self, user: str) -> bool:
        with self._lock:
            known = self._known.get(user)
            if known is not None and time.monotonic() - known[0] < PEOPLE_KEPT:
                return known[1]
        try:
            found = self.client.users_info(user=user)["user"]
            active = not (found.get("deleted") or found.get("is_bot") or found.get("id") == "USLACKBOT")
        except SlackApiError as exc:
            if exc.response.get("error") not in ("user_not_found", "user_not_visible"):
                raise
            active = False
        with self._lock:
            self._known[user] = (time.monotonic(), active)
        return active


class Access:
    def __init__(self, db: Database, admins: Iterable[str], team_id: str, groups: GroupMembers, people: People):
        self.db = db
        self.admins = frozenset(admins)
        self.team_id = team_id
        self.groups = groups
        self.people = people
        self._roles: dict[str, Role] = {}

    def add_role(self, name: str, holds: Role) -> None:
        if name in self._roles:
            raise ValueError(f"the role {name!r} is registered twice")
        self._roles[name] = holds

    def is_admin(self, user: str) -> bool:
        return user in self.admins

    def holds(self, session: Session, role: str, user: str, subject: Any = None) -> bool:
        """Whether ``user`` holds ``role`` (about ``subject``); admins hold every role. A role no
        installed capability registers is held by nobody."""
        holds = self._roles.get(role)
        return user in self.admins or (holds is not None and holds(session, user, subject))

    def in_group(self, session: Session, handle: str, user: str) -> bool:
        return bool(handle) and user in self.groups.members(session, handle)

    def allows(self, session: Session, rule: Rule, user: str, subject: Any = None) -> bool:
        if not user:
            return False
        return user in self.admins or any(self.holds(session, role, user, subject) for role in rule.roles)

    def require(self, rule: Rule, user: str, subject: Any = None, session: Session | None = None) -> None:
        """Raise ``NotAllowed`` unless ``user`` may do what ``rule`` guards (about ``subject``)."""
        if session is None:
            with self.db.reading() as reading:
                allowed = self.allows(reading, rule, user, subject)
        else:
            allowed = self.allows(session, rule, user, subject)
        if not allowed:
            log.warning("refused to let %s %s: only %s may", user or "(no user)", rule.doing, rule.who or "admins")
            raise NotAllowed(rule.refusal())

    def from_elsewhere(self, body: Mapping[str, Any]) -> str | None:
        """The other workspace a command or interaction comes from (its ``team_id``, ``team.id`` or
        ``user.team_id``), or None when it is this bot's own."""
        team, user = body.get("team"), body.get("user")
        for found in (
            body.get("team_id"),
            team.get("id") if isinstance(team, dict) else None,
            user.get("team_id") if isinstance(user, dict) else None,
        ):
            if isinstance(found, str) and found and found != self.team_id:
                return found
        return None
