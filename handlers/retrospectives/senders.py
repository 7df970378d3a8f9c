"""The GitLab calls of retrospectives, made by the outbox: the month's issue, filed with the
sections the other capabilities answer for the month (found again, never filed twice, by its hidden
marker), and a Slack message added as a comment (found again by its own marker)."""

from __future__ import annotations

from functools import partial
from typing import Any

from handlers.retrospectives import messages, service
from handlers.retrospectives.api import SECTIONS
from handlers.retrospectives.models import RetroNote, Retrospective
from slackbot.context import BotContext
from slackbot.effects import effect_of
from slackbot.gitlab_client import configured, create_issue_once, gitlab_failure, marker
from slackbot.outbox import Delivery, Sender, TryAgain, still_there
from slackbot.work import Work

LABEL = "retrospective"


def file(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    month = effect_of(delivery, service.FileRetro).month
    start, end = service.span(month, ctx.zone)
    with ctx.db.reading() as session:
        project = still_there(session.get(Retrospective, month), "retrospective").project
        seen = [found(session, start, end) for key in SECTIONS if (found := ctx.providers.get(key)) is not None]
    fields = {"title": messages.title(month), "description": messages.description(month, seen), "labels": LABEL}
    try:
        gitlab_project = configured(ctx.gitlab).projects.get(project, lazy=True)
        issue = create_issue_once(gitlab_project, fields, ctx.settings.gitlab_token, f"retrospective-{month}")
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {"iid": int(issue.iid), "url": str(issue.web_url)}


def filed(work: Work, delivery: Delivery, result: dict[str, Any]) -> None:
    service.filed(work, effect_of(delivery, service.FileRetro).month, result["iid"], result["url"])


def add_note(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    note_id = effect_of(delivery, service.AddNote).note
    with ctx.db.reading() as session:
        note = still_there(session.get(RetroNote, note_id), "retro note")
        retro = still_there(session.get(Retrospective, note.month), "retrospective")
        project, iid, url = retro.project, retro.issue_iid, retro.issue_url or ""
    if iid is None:
        raise TryAgain("the retrospective issue is not filed yet")
    line = f"<!-- {marker(ctx.settings.gitlab_token, f'retro-note-{note_id}')} -->"
    author = ctx.directory.real_name(note.author) if note.author else ""
    body = f"{line}\n{messages.note(note.text, author, note.permalink)}"
    try:
        issue = configured(ctx.gitlab).projects.get(project, lazy=True).issues.get(iid, lazy=True)
        if not any(line in (n.body or "") for n in issue.notes.list(get_all=False, sort="desc", per_page=50)):
            issue.notes.create({"body": body})
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {"url": url}


def note_added(work: Work, delivery: Delivery, result: dict[str, Any]) -> None:
    work.slack.respond(effect_of(delivery, service.AddNote).response_url, messages.added(result["url"]))


def register(ctx: BotContext) -> None:
    ctx.outbox.register(service.FileRetro.KIND, Sender(send=partial(file, ctx), done=filed))
    ctx.outbox.register(service.AddNote.KIND, Sender(send=partial(add_note, ctx), done=note_added))
