"""Team members' timezones: the config's, else their Slack profile's, else the team's.

Slack profiles (names and timezones) are cached in the database and refreshed with one paginated
``users.list`` sweep a day (a background job: it waits on Slack, never inside a transaction), so a
tick never makes a call per person.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from slackbot.config import Config
from slackbot.db import Database
from slackbot.models import PeriodicMark, SlackProfile
from slackbot.mrkdwn import escape

log = logging.getLogger(__name__)

PROFILE_MAX_AGE = timedelta(days=1)
ZONES_KEPT = 300.0  # seconds the people's timezones are kept in memory between reads
SWEPT = "slack.profiles.swept"  # a PeriodicMark: a users.list sweep has completed at least once


def zone(name: str, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


class Directory:
    def __init__(self, config: Config, db: Database, client: WebClient):
        self.config = config
        self.db = db
        self.client = client
        self.team_zone = ZoneInfo(config.timezone)
        self.configured = {p.slack: p.timezone for p in config.people if p.timezone}
        self._people = [p.slack for p in config.people]
        self._zones: dict[str, ZoneInfo] = {}
        self._zones_read = -ZONES_KEPT
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def people_zones(self, session: Session) -> dict[str, ZoneInfo]:
        """Every configured person's timezone, read at most every few minutes (and after a sweep): a
        tick with 5,000 people need not look them all up each time."""
        with self._lock:
            if time.monotonic() - self._zones_read > ZONES_KEPT:
                self._zones = self.timezones(session, self._people)
                self._zones_read = time.monotonic()
            return self._zones

    def timezones(self, session: Session, user_ids: list[str]) -> dict[str, ZoneInfo]:
        profiles = {
            p.user_id: p.tz for p in session.scalars(select(SlackProfile).where(SlackProfile.user_id.in_(user_ids)))
        }
        return {u: zone(self.configured.get(u) or profiles.get(u, ""), self.team_zone) for u in user_ids}

    def not_yet_known(self, session: Session, user_ids: list[str]) -> set[str]:
        """People whose timezone can only come from Slack, before the first profile sweep has read it:
        prompting them now would use the team's timezone by mistake."""
        if session.get(PeriodicMark, SWEPT) is not None:
            return set()
        unknown = [u for u in user_ids if u not in self.configured]
        found = set(session.scalars(select(SlackProfile.user_id).where(SlackProfile.user_id.in_(unknown))))
        return set(unknown) - found

    def named(self, session: Session, name: str) -> str | None:
        """The user ID of ``@name`` as a command without escaping sends it, from the profiles read."""
        return session.scalar(select(SlackProfile.user_id).where(SlackProfile.name == name.lstrip("@")).limit(1))

    def names(self, session: Session, user_ids: list[str]) -> dict[str, str]:
        """People's Slack names (escaped), to show them without mentioning them; the ID when unknown."""
        known = {
            p.user_id: p.name
            for p in session.scalars(select(SlackProfile).where(SlackProfile.user_id.in_(user_ids)))
            if p.name
        }
        return {u: escape(known.get(u, u)) for u in user_ids}

    def real_name(self, user_id: str) -> str:
        """How a person is called in a GitLab issue the bot files: their Slack real name (from
        ``users.info``), else their user ID. Raw text: the caller
        makes it inert for where it goes."""
        try:
            user = self.client.users_info(user=user_id)["user"]
        except Exception:
            return user_id
        return str(user.get("real_name") or user.get("name") or user_id)

    def refresh(self, now: datetime) -> None:
        """One paginated ``users.list`` sweep, at most once a day whatever the config says. Configured
        people Slack does not list (or lists as deleted) keep the team's timezone; each is warned
        about once."""
        if not self.config.people:
            return
        with self.db.reading() as session:
            swept = session.get(PeriodicMark, SWEPT)
            if swept is not None and swept.next_at > now:
                return
        members = [member for page in self.client.users_list(limit=200) for member in page.get("members", [])]
        listed = {m["id"]: m for m in members if not m.get("deleted") and not m.get("is_bot") and "id" in m}
        with self.db.transaction() as session:
            for member in listed.values():
                session.merge(
                    SlackProfile(
                        user_id=member["id"], name=member.get("name", ""), tz=member.get("tz") or "", fetched_at=now
                    )
                )
            session.merge(PeriodicMark(name=SWEPT, next_at=now + PROFILE_MAX_AGE))
        with self._lock:
            self._zones_read = -ZONES_KEPT
            missing = [p for p in self._people if p not in listed and p not in self._warned]
            self._warned.update(missing)
        for user_id in missing:
            log.warning("%s is in [[people]] but Slack lists no such active user: the team's timezone applies", user_id)
        log.info("read %d Slack profiles", len(listed))
