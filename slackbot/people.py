"""Team members' timezones: the config's, else their Slack profile's, else the team's.

Slack profiles are cached in the database and refreshed with one paginated ``users.list`` sweep
when one is missing or a day old, so a tick never makes a call per person.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from slackbot.config import Config
from slackbot.db import Database
from slackbot.models import SlackProfile

log = logging.getLogger(__name__)

PROFILE_MAX_AGE = timedelta(days=1)


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

    def timezones(self, session: Session, user_ids: list[str]) -> dict[str, ZoneInfo]:
        profiles = {
            p.user_id: p.tz for p in session.scalars(select(SlackProfile).where(SlackProfile.user_id.in_(user_ids)))
        }
        return {u: zone(self.configured.get(u) or profiles.get(u, ""), self.team_zone) for u in user_ids}

    def refresh(self, now: datetime) -> None:
        """Sweep ``users.list`` if a configured person without a timezone has no fresh profile."""
        wanted = [p.slack for p in self.config.people if p.slack not in self.configured]
        if not wanted:
            return
        with self.db.transaction() as session:
            fresh = set(
                session.scalars(
                    select(SlackProfile.user_id).where(
                        SlackProfile.user_id.in_(wanted), SlackProfile.fetched_at > now - PROFILE_MAX_AGE
                    )
                )
            )
        if fresh >= set(wanted):
            return
        with self.db.transaction() as session:
            for page in self.client.users_list(limit=200):
                for member in page.get("members", []):
                    if member.get("deleted") or member.get("is_bot"):
                        continue
                    session.merge(
                        SlackProfile(
                            user_id=member["id"], name=member.get("name", ""), tz=member.get("tz") or "", fetched_at=now
                        )
                    )
        log.info("refreshed Slack profiles for timezones")
