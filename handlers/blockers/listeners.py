"""``/blocker REASON`` and ``/blocker lift [ISSUE]``."""

from __future__ import annotations

import re
from functools import partial

from sqlalchemy.orm import Session

from handlers.blockers import messages, service
from handlers.blockers.config import BlockersSection
from handlers.blockers.roles import GROUP_ROLE
from handlers.incidents import api as incidents
from slackbot.access import Rule
from slackbot.commands import CommandCall, UsageError
from slackbot.context import BotContext
from slackbot.mrkdwn import normalise, truncate

MAY_BLOCK = Rule(
    "open or lift production blockers",
    "the escalation policy's people and the members of `[blockers] usergroup`",
    (incidents.ESCALATION, GROUP_ROLE),
)


def in_group(ctx: BotContext, session: Session, user: str, _subject: object) -> bool:
    return ctx.access.in_group(session, ctx.config.section(BlockersSection).usergroup, user)


def require_gitlab(ctx: BotContext) -> None:
    if ctx.gitlab is None:
        raise UsageError(messages.NOT_CONFIGURED)


def open_blocker(ctx: BotContext, call: CommandCall) -> str | None:
    reason = call.text.strip()
    if not reason:
        raise UsageError("Say why production must not be deployed: `/blocker checkout totals are wrong`.")
    require_gitlab(ctx)
    project = ctx.config.gitlab.app_project
    with ctx.work() as work:
        service.request_open(work, project, truncate(normalise(reason), 1000), call.user_id, call.response_url)
    return None


def lift(ctx: BotContext, call: CommandCall) -> str | None:
    wanted = call.text.strip()
    require_gitlab(ctx)
    project = ctx.config.gitlab.app_project
    with ctx.work() as work:
        if wanted:
            match = re.search(r"(\d+)\s*$", wanted)
            if match is None:
                raise UsageError(f"`{wanted}` is not an issue: give its number, like `/blocker lift 123`.")
            iid = int(match.group(1))
        else:
            latest = service.latest_open(work.session)
            if latest is None or latest.iid is None:
                raise UsageError(
                    "No production blocker opened from Slack is open; give the issue number to lift another."
                )
            iid = latest.iid
        if service.opened_by_bot(work.session, project, iid) is None:
            raise UsageError(messages.not_ours(iid))
        service.request_lift(work, project, iid, call.user_id, call.response_url)
    return None


def register(ctx: BotContext) -> None:
    ctx.access.groups.watch(ctx.config.section(BlockersSection).usergroup)
    ctx.access.add_role(GROUP_ROLE, partial(in_group, ctx))
    router = ctx.commands.router("/blocker")
    router.add(
        "",
        partial(open_blocker, ctx),
        "open a production::blocker issue in the app project",
        "REASON",
        allowed=MAY_BLOCK,
    )
    router.add("lift", partial(lift, ctx), "close it (the latest, or the one given)", "[ISSUE]", allowed=MAY_BLOCK)
