"""Team members' timezones: the config's, else their Slack profile's, else the team's.

Slack profiles are cached in the database and refreshed with one paginated ``users.list`` sweep
(a background job: it waits on Slack, never inside a transaction) when one is missing or a day old,
so a tick never makes a call per person.
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

    def refresh(self, now: datetime) -> None:
        """Sweep ``users.list`` if a configured person without a timezone has no fresh profile."""
        wanted = [p.slack for p in self.config.people if p.slack not in self.configured]
        if not wanted:
            return
        with self.db.reading() as session:
            fresh = set(
                session.scalars(
                    select(SlackProfile.user_id).where(
                        SlackProfile.user_id.in_(wanted), SlackProfile.fetched_at > now - PROFILE_MAX_AGE
                    )
                )
            )
        if fresh >= set(wanted):
            return
        members = [
            member
            for page in self.client.users_list(limit=200)
            for member in page.get("members", [])
            if not member.get("deleted") and not member.get("is_bot")
        ]
        with self.db.transaction() as session:
            for member in members:
                session.merge(
                    SlackProfile(
                        user_id=member["id"], name=member.get("name", ""), tz=member.get("tz") or "", fetched_at=now
                    )
                )
            session.merge(PeriodicMark(name=SWEPT, next_at=now))
        with self._lock:
            self._zones_read = -ZONES_KEPT
        log.info("refreshed Slack profiles for timezones")
