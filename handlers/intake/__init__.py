"""``/intake``: a modal whose answers become an issue in the intake project, written into the
project's own ``intake`` issue template.

The request is stored when the modal is submitted and filed after the ack; if GitLab fails it
stays stored and is retried on later ticks (with growing pauses), and the person is told so and
gets the link once it is filed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import gitlab
from slack_bolt import Ack, App
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.intake.models import IntakeRequest
from slackbot.app import BotContext
from slackbot.commands import CommandCall, UsageError
from slackbot.slack_lookup import permalink

if TYPE_CHECKING:
    from slackbot.demo import Tour

log = logging.getLogger(__name__)

CALLBACK = "intake_submit"
URGENCIES = ["low", "medium", "high", "critical"]
NOT_CONFIGURED = "Intake is not configured: `GITLAB_TOKEN` is unset, so I cannot file issues in GitLab."
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
LISTED = 10


@dataclass(frozen=True)
class Field:
    block_id: str
    label: str
    heading_words: tuple[str, ...]  # a template heading containing one of these takes the answer
    multiline: bool = True


FIELDS = (
    Field("problem", "Problem to solve", ("problem",)),
    Field("requester", "Who is asking (team / customer)", ("who", "requester", "customer"), multiline=False),
    Field("impact", "Business impact", ("impact", "value")),
)


def fill_template(template: str, answers: list[tuple[Field, str]], footer: str) -> str:
    """Put each answer under the first template heading that names it; the rest go in a section of their own."""
    lines = template.rstrip().splitlines()
    leftovers = []
    for field, answer in answers:
        index = next(
            (
                i
                for i, line in enumerate(lines)
                if re.match(r"#+\s", line) and any(w in line.lower() for w in field.heading_words)
            ),
            None,
        )
        if index is None:
            leftovers.append(f"### {field.label}\n\n{answer}")
        else:
            lines[index + 1 : index + 1] = ["", answer]
    body = "\n".join(lines)
    if leftovers:
        body += "\n\n## Details from Slack\n\n" + "\n\n".join(leftovers)
    return f"{body}\n\n{footer}".strip() + "\n"


class Intake:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.settings = ctx.config.gitlab
        self.gitlab_users = {p.slack: p.gitlab for p in ctx.config.people if p.gitlab}

    def require_gitlab(self) -> gitlab.Gitlab:
        if self.ctx.gitlab is None:
            raise UsageError(NOT_CONFIGURED)
        return self.ctx.gitlab

    # ----- the modal -------------------------------------------------------------------------------

    def open(self, call: CommandCall) -> str | None:
        self.require_gitlab()
        self.ctx.client.views_open(trigger_id=call.trigger_id, view=self.modal(call.text.strip()))
        return None

    def modal(self, title: str) -> dict[str, Any]:
        title_input: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 255}
        if title:
            title_input["initial_value"] = title[:255]
        blocks: list[dict[str, Any]] = [_input("title", "Title", title_input)]
        blocks += [
            _input(f.block_id, f.label, {"type": "plain_text_input", "action_id": "value", "multiline": f.multiline})
            for f in FIELDS
        ]
        options = [{"text": {"type": "plain_text", "text": u.capitalize()}, "value": u} for u in URGENCIES]
        blocks.append(_input("urgency", "Urgency", {"type": "static_select", "action_id": "value", "options": options}))
        blocks.append(_input("pm", "Product Manager to tag", {"type": "users_select", "action_id": "value"}))
        return {
            "type": "modal",
            "callback_id": CALLBACK,
            "title": {"type": "plain_text", "text": "Intake request"},
            "submit": {"type": "plain_text", "text": "File it"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": blocks,
        }

    def on_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = _answers(view["state"]["values"])
        errors = {key: "This is needed." for key, value in answers.items() if not str(value or "").strip()}
        if answers.get("urgency") and answers["urgency"] not in URGENCIES:
            errors["urgency"] = "Pick one of the options."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        user = body["user"]["id"]
        posted = self.ctx.client.chat_postMessage(
            channel=user, text=f"Filing your intake request “{answers['title']}”…"
        )
        link = permalink(self.ctx.client, posted["channel"], posted["ts"])
        with self.ctx.db.transaction() as session:
            request = IntakeRequest(
                user_id=user,
                submitted_at=self.ctx.clock.now(),
                answers=answers,
                attempts=0,
                next_attempt_at=self.ctx.clock.now(),
                last_error="",
                slack_link=str(link),
            )
            session.add(request)
            session.flush()
            request_id = request.id
        self.ctx.each([request_id], self.file, "intake request")

    # ----- filing ------------------------------------------------------------------------------------

    def file(self, session: Session, request_id: int) -> None:
        request = session.scalar(select(IntakeRequest).where(IntakeRequest.id == request_id).with_for_update())
        if request is None or request.issue_url:
            return
        try:
            issue = self.create_issue(request)
        except gitlab.exceptions.GitlabError as exc:
            request.attempts += 1
            request.last_error = f"{exc.response_code}: {exc.error_message}"[:500]
            request.next_attempt_at = self.ctx.clock.now() + min(RETRY_BASE * 2 ** (request.attempts - 1), RETRY_MAX)
            log.warning("intake request %s: GitLab failed (%s); retrying", request.id, request.last_error)
            if request.attempts == 1:
                self.ctx.client.chat_postMessage(
                    channel=request.user_id,
                    text=f"GitLab did not take the request just now ({request.last_error}). Your answers are saved: "
                    "I will keep trying and send you the link here once it is filed.",
                )
            return
        request.issue_url, request.issue_iid, request.next_attempt_at = str(issue.web_url), int(issue.iid), None
        self.ctx.client.chat_postMessage(
            channel=request.user_id,
            text=f":inbox_tray: Filed: <{issue.web_url}|{self.settings.intake_project}#{issue.iid}>",
        )

    def create_issue(self, request: IntakeRequest) -> Any:
        project = self.require_gitlab().projects.get(self.settings.intake_project, lazy=True)
        try:
            template = str(project.issue_templates.get(self.settings.intake_template).content)
        except gitlab.exceptions.GitlabGetError as exc:
            if exc.response_code != 404:
                raise
            log.warning("no issue template %r in %s", self.settings.intake_template, self.settings.intake_project)
            template = ""
        answers = request.answers
        asker = self.ctx.client.users_info(user=request.user_id)["user"]
        pm = answers["pm"]
        if pm in self.gitlab_users:
            pm_mention = f"@{self.gitlab_users[pm]}"
        else:
            pm_name = self.ctx.client.users_info(user=pm)["user"].get("real_name") or pm
            pm_mention = f"{pm_name} (PM in Slack; no GitLab username in the bot's config)"
        footer = (
            f"---\nRequested by {asker.get('real_name') or asker.get('name')} in Slack: {request.slack_link}\n"
            f"Urgency: **{answers['urgency']}**\n\n/cc {pm_mention}"
        )
        description = fill_template(template, [(f, str(answers[f.block_id])) for f in FIELDS], footer)
        return project.issues.create({"title": answers["title"], "description": description, "labels": ["intake"]})

    def retry_pending(self, now: datetime) -> None:
        if self.ctx.gitlab is None:
            return
        with self.ctx.db.reading() as session:
            due = list(
                session.scalars(
                    select(IntakeRequest.id).where(
                        IntakeRequest.issue_url.is_(None), IntakeRequest.next_attempt_at <= now
                    )
                )
            )
        self.ctx.each(due, self.file, "intake request")

    def list_mine(self, call: CommandCall) -> str:
        gl = self.require_gitlab()
        with self.ctx.db.reading() as session:
            mine = list(
                session.scalars(
                    select(IntakeRequest)
                    .where(IntakeRequest.user_id == call.user_id)
                    .order_by(IntakeRequest.submitted_at.desc())
                    .limit(LISTED)
                )
            )
        if not mine:
            return "You have not filed any intake requests with me yet. `/intake` opens the form."
        project = gl.projects.get(self.settings.intake_project, lazy=True)
        lines = ["*Your intake requests*"]
        for request in mine:
            if request.issue_iid is None:
                lines.append(f"• {request.answers['title']}: waiting for GitLab (retrying; {request.last_error})")
                continue
            try:
                state = str(project.issues.get(request.issue_iid).state)
            except gitlab.exceptions.GitlabError:
                state = "state unknown (GitLab did not answer)"
            lines.append(f"• <{request.issue_url}|#{request.issue_iid} {request.answers['title']}>: {state}")
        return "\n".join(lines)


def _input(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label}, "element": element}


def _answers(values: dict[str, Any]) -> dict[str, Any]:
    def read(block_id: str) -> Any:
        state = values.get(block_id, {}).get("value", {})
        if "selected_option" in state:
            return (state["selected_option"] or {}).get("value")
        if "selected_user" in state:
            return state["selected_user"]
        value = state.get("value")
        return value.strip() if isinstance(value, str) else value

    return {key: read(key) for key in ("title", *(f.block_id for f in FIELDS), "urgency", "pm")}


def register(app: App, ctx: BotContext) -> None:
    intake = Intake(ctx)
    app.view(CALLBACK)(intake.on_submit)
    router = ctx.commands.router("/intake")
    router.add("", intake.open, "file an intake request in the intake project (opens a form)", "[TITLE]")
    router.add("list", intake.list_mine, "your last intake requests and their issue state")
    ctx.scheduler.add("intake.retry", intake.retry_pending)


def demo_scene(tour: Tour) -> None:
    from slackbot.testing.harness import ASKER, TEAM

    tour.scene("/intake: a request filed in GitLab from the team's own template")
    tour.driver.command(ASKER.id, "/intake", "Self-serve seat true-ups for resellers")
    view = tour.driver.open_views(ASKER.id)[-1]
    tour.driver.submit(
        ASKER.id,
        view["id"],
        {
            "title": "Self-serve seat true-ups for resellers",
            "problem": "Resellers email support for every true-up.",
            "requester": "Channel sales, 40 resellers",
            "impact": "About 300 tickets a quarter.",
            "urgency": "medium",
            "pm": TEAM[1].id,
        },
    )
    project = tour.harness.config.gitlab.intake_project
    issue = tour.gitlab.issues[project][-1]
    tour.narrate(f"the issue in GitLab, {project}#{issue['iid']}: {issue['title']}")
    print("\n".join(f"        | {line}" for line in issue["description"].splitlines()), file=tour.out)
    tour.driver.command(ASKER.id, "/intake", "list")
