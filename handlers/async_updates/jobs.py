"""Scheduled, in the background: each week at the configured day and time, every person with a
GitLab username gets one DM listing their open assigned issues with no note from them in 7 days.

The GitLab sweep for a person runs outside any transaction; its outcome is recorded with the DM.
A GitLab error for one person is logged and retried on the next tick; the others go ahead.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import gitlab

from handlers.async_updates import service
from handlers.async_updates.config import AsyncUpdatesSection
from slackbot.context import BotContext
from slackbot.home import HomeChanged

log = logging.getLogger(__name__)

QUIET_FOR = timedelta(days=7)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def quiet_issues(gl: gitlab.Gitlab, username: str, now: datetime, started_milestone_only: bool) -> list[dict[str, Any]]:
    """Open issues assigned to ``username`` with no note by them in the last 7 days."""
    filters: dict[str, Any] = {"assignee_username": username, "state": "opened", "scope": "all"}
    if started_milestone_only:
        filters["milestone"] = "Started"
    quiet = []
    for issue in gl.issues.list(get_all=True, **filters):
        notes = gl.projects.get(issue.project_id, lazy=True).issues.get(issue.iid, lazy=True).notes.list(get_all=True)
        recent = any(
            n.author["username"] == username
            and not getattr(n, "system", False)
            and _parse(n.created_at) >= now - QUIET_FOR
            for n in notes
        )
        if not recent:
            reference = str(issue.references["full"]) if getattr(issue, "references", None) else f"#{issue.iid}"
            quiet.append({"url": str(issue.web_url), "title": str(issue.title), "reference": reference})
    return quiet


def run(ctx: BotContext, now: datetime) -> None:
    settings = ctx.config.section(AsyncUpdatesSection)
    people = ctx.config.gitlab_usernames()
    if ctx.gitlab is None or not people:
        return
    today = now.astimezone(ctx.zone).date()
    if now < service.due_at(today, settings.day, settings.time, ctx.zone):
        return
    week = service.iso_week(today)
    with ctx.db.reading() as session:
        done = service.reminded(session, week)
    for user_id in [u for u in people if u not in done]:
        try:
            issues = quiet_issues(ctx.gitlab, people[user_id], now, settings.current_milestone_only)
            with ctx.work() as work:
                if service.remind(work, user_id, week, issues):
                    ctx.signals.send(work, HomeChanged((user_id,)))
        except Exception:
            log.exception("async update reminder for %s failed; it stays due for the next tick", user_id)


def register(ctx: BotContext) -> None:
    ctx.scheduler.add("async_updates.weekly", partial(run, ctx), background=True)
