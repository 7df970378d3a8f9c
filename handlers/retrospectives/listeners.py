"""`Add to retro` (a message shortcut): the message, quoted and linked (or without its author's name
and link), added as a comment on the current retrospective issue; and the cadence announcement's
``{retrospective}``, the link of that issue."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from handlers.cadence import api as cadence
from handlers.retrospectives import messages, service
from handlers.retrospectives.config import RetrospectivesSection
from slackbot.context import BotContext
from slackbot.interactions import Shortcut, Submission, value_at
from slackbot.work import Work


def form(ctx: BotContext, shortcut: Shortcut) -> dict[str, Any] | str:
    if not shortcut.message_text.strip():
        return "That message has no text to add."
    with ctx.db.reading() as session:
        if service.current(session) is None:
            day = ctx.config.section(RetrospectivesSection).day
            return f"No retrospective issue is filed yet: the bot files one on day {day} of each month."
    return messages.form(
        shortcut.message_text, shortcut.channel_id, shortcut.message_ts, shortcut.message_user, shortcut.response_url
    )


def on_submit(ctx: BotContext, work: Work, submission: Submission) -> dict[str, str] | None:
    try:
        carried = json.loads(submission.private_metadata)
        text, channel, ts, author, url = (str(carried[k]) for k in ("text", "channel", "ts", "author", "url"))
    except (ValueError, KeyError, TypeError):
        return {messages.ANONYMOUS: "This form is from an older version: use the shortcut again."}
    retro = service.current(work.session)
    if retro is None:
        return {messages.ANONYMOUS: "No retrospective issue is filed yet."}
    chosen = value_at(submission.values, messages.ANONYMOUS, "value", "selected_options") or []
    anonymous = any(isinstance(o, dict) and o.get("value") == messages.ANONYMOUS for o in chosen)
    permalink = "" if anonymous or not ts else ctx.permalink(channel, ts)
    service.add_note(work, retro, text, "" if anonymous else author, permalink, submission.user_id, url)
    return None


def cadence_link(session: Session) -> dict[str, str]:
    found = service.current(session)
    return {"{retrospective}": messages.link(found.issue_url if found is not None else None)}


def register(ctx: BotContext) -> None:
    ctx.interactions.on_shortcut_open(messages.SHORTCUT, partial(form, ctx))
    ctx.interactions.on_submit(messages.CALLBACK, partial(on_submit, ctx))
    ctx.providers.provide(cadence.PLACEHOLDERS, cadence_link)
