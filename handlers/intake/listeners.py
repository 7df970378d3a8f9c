"""``/intake`` opens the form; its submission is stored with the effect that files it; ``/intake list``."""

from __future__ import annotations

from functools import partial

import gitlab

from handlers.intake import messages, service
from handlers.intake.config import IntakeSection
from slackbot.commands import CommandCall, UsageError
from slackbot.context import BotContext
from slackbot.interactions import Submission
from slackbot.work import Work


def require_gitlab(ctx: BotContext) -> gitlab.Gitlab:
    if ctx.gitlab is None:
        raise UsageError(messages.NOT_CONFIGURED)
    return ctx.gitlab


def open_form(ctx: BotContext, call: CommandCall) -> str | None:
    require_gitlab(ctx)
    return ctx.interactions.open_view(call.trigger_id, messages.modal(call.text.strip()))


def on_submit(work: Work, submission: Submission) -> dict[str, str] | None:
    answers = service.answers_of(submission.values)
    errors = service.problems(answers)
    if errors:
        return errors
    service.submit(work, submission.user_id, answers)
    return None


def list_mine(ctx: BotContext, call: CommandCall) -> str:
    gl = require_gitlab(ctx)
    with ctx.db.reading() as session:
        mine = service.mine(session, call.user_id)
    if not mine:
        return "You have not filed any intake requests with me yet. `/intake` opens the form."
    project = gl.projects.get(ctx.config.section(IntakeSection).intake_project, lazy=True)
    lines = ["*Your intake requests*"]
    for request in mine:
        title = str(request.answers.get("title", ""))
        if request.issue_iid is None:
            lines.append(messages.listed(None, None, title, request.last_error))
            continue
        try:
            state = str(project.issues.get(request.issue_iid).state)
        except gitlab.exceptions.GitlabError:
            state = "state unknown (GitLab did not answer)"
        lines.append(messages.listed(request.issue_url, request.issue_iid, title, state))
    return "\n".join(lines)


def register(ctx: BotContext) -> None:
    ctx.interactions.on_submit(messages.CALLBACK, on_submit)
    router = ctx.commands.router("/intake")
    router.add("", partial(open_form, ctx), "file an intake request in the intake project (opens a form)", "[TITLE]")
    router.add("list", partial(list_mine, ctx), "your last intake requests and their issue state", slow=True)
