"""``/blocker``: a ``production::blocker`` issue in the app project stops auto-deploy to production
(the handbook's way); ``/blocker lift`` closes it. Both are announced in the status channel."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import gitlab
from slack_bolt import App
from sqlalchemy import select

from handlers.incidents.models import Blocker
from slackbot.app import BotContext
from slackbot.commands import CommandCall, UsageError

if TYPE_CHECKING:
    from slackbot.demo import Tour

LABEL = "production::blocker"
NOT_CONFIGURED = "GitLab is not configured (`GITLAB_TOKEN` is unset), so I cannot open or close production blockers."


class Blockers:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.project_path = ctx.config.gitlab.app_project

    def project(self) -> object:
        if self.ctx.gitlab is None:
            raise UsageError(NOT_CONFIGURED)
        try:
            return self.ctx.gitlab.projects.get(self.project_path, lazy=True)
        except gitlab.exceptions.GitlabError as exc:
            raise UsageError(_gitlab_failed(exc)) from None

    def open(self, call: CommandCall) -> str:
        reason = call.text.strip()
        if not reason:
            raise UsageError("Say why production must not be deployed: `/blocker checkout totals are wrong`.")
        project = self.project()
        who = self.ctx.client.users_info(user=call.user_id)["user"].get("real_name") or call.user_id
        description = (
            f"{reason}\n\nOpened from Slack by {who} with `/blocker`. While this issue is open with the "
            f"`{LABEL}` label, auto-deploy to production is stopped. Close it (or run `/blocker lift`) to resume."
        )
        try:
            issue = project.issues.create(  # type: ignore[attr-defined]
                {
                    "title": f"Production blocker: {reason[:200]}",
                    "description": description,
                    "labels": [LABEL],
                    "confidential": False,
                }
            )
        except gitlab.exceptions.GitlabError as exc:
            raise UsageError(_gitlab_failed(exc)) from None
        with self.ctx.db.transaction() as session:
            session.add(
                Blocker(
                    project=self.project_path,
                    iid=int(issue.iid),
                    title=str(issue.title),
                    url=str(issue.web_url),
                    opened_by=call.user_id,
                    opened_at=self.ctx.clock.now(),
                )
            )
        self.ctx.client.chat_postMessage(
            channel=self.ctx.channel("status"),
            text=f":no_entry: <@{call.user_id}> opened a production blocker: <{issue.web_url}|#{issue.iid} {reason}>. "
            "Auto-deploy to production is stopped until it is lifted.",
        )
        return f"Opened <{issue.web_url}|#{issue.iid}>. Lift it with `/blocker lift {issue.iid}`."

    def lift(self, call: CommandCall) -> str:
        wanted = call.text.strip()
        with self.ctx.db.reading() as session:
            query = select(Blocker).where(Blocker.lifted_at.is_(None)).order_by(Blocker.id.desc())
            open_ones = list(session.scalars(query))
        if wanted:
            match = re.search(r"(\d+)\s*$", wanted)
            if match is None:
                raise UsageError(f"`{wanted}` is not an issue: give its number, like `/blocker lift 123`.")
            iid = int(match.group(1))
        elif open_ones:
            iid = open_ones[0].iid
        else:
            raise UsageError("No production blocker opened from Slack is open; give the issue number to lift another.")
        project = self.project()
        try:
            issue = project.issues.get(iid)  # type: ignore[attr-defined]
            issue.state_event = "close"
            issue.save()
        except gitlab.exceptions.GitlabError as exc:
            raise UsageError(_gitlab_failed(exc)) from None
        with self.ctx.db.transaction() as session:
            for blocker in session.scalars(select(Blocker).where(Blocker.iid == iid, Blocker.lifted_at.is_(None))):
                blocker.lifted_by, blocker.lifted_at = call.user_id, self.ctx.clock.now()
        self.ctx.client.chat_postMessage(
            channel=self.ctx.channel("status"),
            text=f":white_check_mark: <@{call.user_id}> lifted the production blocker <{issue.web_url}|#{iid}>: "
            "auto-deploy to production can resume.",
        )
        return f"Closed <{issue.web_url}|#{iid}>."


def _gitlab_failed(exc: gitlab.exceptions.GitlabError) -> str:
    return f"GitLab answered an error ({exc.response_code or 'no answer'}: {exc.error_message}). Nothing was changed."


def register(app: App, ctx: BotContext) -> None:
    blockers = Blockers(ctx)
    router = ctx.commands.router("/blocker")
    router.add("", blockers.open, "open a production::blocker issue in the app project", "REASON")
    router.add("lift", blockers.lift, "close it (the latest, or the one given)", "[ISSUE]")


def demo_scene(tour: Tour) -> None:
    from slackbot.testing.harness import TEAM

    tour.scene("A production blocker stops auto-deploy, then is lifted")
    tour.driver.command(
        TEAM[0].id, "/blocker", "invoice totals are off by one cent on staging", channel="s_fulfillment_status"
    )
    tour.wait(timedelta(hours=1))
    tour.driver.command(TEAM[0].id, "/blocker", "lift", channel="s_fulfillment_status")
