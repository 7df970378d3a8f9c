"""The weekly async issue update: each engineer gets one DM listing their open assigned issues that
have no note from them in the last 7 days, with the handbook's update template.

Once per person per ISO week (team timezone), from the scheduler: the week's row is written in
the same transaction as the DM, so a restart or a second replica does not send it twice. A GitLab
error for one person is logged and retried on the next tick; the others go ahead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_bolt import App
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.async_updates.models import AsyncUpdateReminder
from slackbot.app import BotContext
from slackbot.config import WEEKDAYS
from slackbot.signals import HomeChanged

if TYPE_CHECKING:
    from slackbot.demo import Tour

QUIET_FOR = timedelta(days=7)
TEMPLATE = """### Async issue update

1. Please provide a quick summary of the current status (one sentence)
    -
1. How confident are you that this will make it to the current milestone?
    - [ ] Not confident
    - [ ] Slightly confident
    - [ ] Very confident
1. Are there any opportunities to further break the issue or merge request into smaller pieces (if applicable)?
    - [ ] Yes
    - [ ] No
1. Were expectations met from a previous update? If not, please explain why.
    - [ ] Yes
    - [ ] No, ___
1. Are the related issues up to date? Please link any missing issues in the epic that could be linked to this issue
    - [ ] Yes
    - [ ] No

/health_status [on_track, needs_attention, at_risk]"""


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def due_at(day: date, weekday: str, at: Any, zone: ZoneInfo) -> datetime:
    """This ISO week's reminder time for the week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday + timedelta(days=WEEKDAYS.index(weekday)), at, zone)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def reminder_text(issues: list[dict[str, Any]]) -> str:
    listed = "\n".join(f"• <{i['url']}|{i['reference']} {i['title']}>" for i in issues)
    return (
        f":memo: *Weekly async issue update.* These issues assigned to you have no update from you in the last "
        f"7 days:\n{listed}\nPlease comment on each with the async update template:\n```{TEMPLATE}```"
    )


class AsyncUpdates:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.settings = ctx.config.async_updates
        self.zone = ZoneInfo(ctx.config.timezone)
        self.people = {p.slack: p.gitlab for p in ctx.config.people if p.gitlab}

    def run(self, now: datetime) -> None:
        if self.ctx.gitlab is None or not self.people:
            return
        today = now.astimezone(self.zone).date()
        if now < due_at(today, self.settings.day, self.settings.time, self.zone):
            return
        week = iso_week(today)
        with self.ctx.db.reading() as session:
            done = set(session.scalars(select(AsyncUpdateReminder.user_id).where(AsyncUpdateReminder.week == week)))
        todo = [user for user in self.people if user not in done]
        self.ctx.each(todo, lambda session, user: self.remind(session, user, week, now), "async update reminder")

    def remind(self, session: Session, user_id: str, week: str, now: datetime) -> None:
        if session.get(AsyncUpdateReminder, (user_id, week), with_for_update=True) is not None:
            return
        issues = self.quiet_issues(self.people[user_id], now)
        session.add(AsyncUpdateReminder(user_id=user_id, week=week, checked_at=now, issues=issues))
        session.flush()
        if issues:
            self.ctx.client.chat_postMessage(channel=user_id, text=reminder_text(issues))
        self.ctx.signals.home_changed.send(session, HomeChanged((user_id,)))

    def quiet_issues(self, username: str, now: datetime) -> list[dict[str, Any]]:
        """Open issues assigned to ``username`` with no note by them in the last 7 days."""
        gitlab = self.ctx.gitlab
        assert gitlab is not None
        filters: dict[str, Any] = {"assignee_username": username, "state": "opened", "scope": "all"}
        if self.settings.current_milestone_only:
            filters["milestone"] = "Started"
        quiet = []
        for issue in gitlab.issues.list(get_all=True, **filters):
            notes = (
                gitlab.projects.get(issue.project_id, lazy=True)
                .issues.get(issue.iid, lazy=True)
                .notes.list(get_all=True)
            )
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


def latest(session: Session, user_id: str) -> list[dict[str, Any]]:
    """The issues the person's latest reminder listed (for the App Home)."""
    row = session.scalar(
        select(AsyncUpdateReminder)
        .where(AsyncUpdateReminder.user_id == user_id)
        .order_by(AsyncUpdateReminder.week.desc())
    )
    return list(row.issues) if row is not None else []


def register(app: App, ctx: BotContext) -> None:
    ctx.scheduler.add("async_updates.weekly", AsyncUpdates(ctx).run)


def demo_scene(tour: Tour) -> None:
    tour.scene("The weekly async issue update reminder")
    project = tour.harness.config.gitlab.app_project
    now = tour.harness.clock.now()
    quiet = tour.gitlab.add_issue(project, "Seat usage sync drops trial seats", assignee_usernames=["jameslopez"])
    updated = tour.gitlab.add_issue(project, "Zuora invoice preview", assignee_usernames=["jameslopez"])
    tour.gitlab.add_note(project, updated["iid"], "jameslopez", "### Async issue update ...", now - timedelta(days=2))
    tour.gitlab.add_note(project, quiet["iid"], "vitallium", "Any news here?", now - timedelta(days=1))
    tour.narrate(
        "James has two open issues in GitLab and updated one of them two days ago; reminders go out on Wednesdays"
    )
    tour.wait(timedelta(days=1))
