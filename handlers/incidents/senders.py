"""Delivering what incidents decide: DM pages (rendered when sent, never for an incident no longer
open), the incident's channel (created, joined by the people paged, archived), what is said in it
(or, if Slack refused the channel, in the status message's thread), and the GitLab incident issue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.incidents import messages, report, service
from handlers.incidents.config import IncidentsSection
from handlers.incidents.models import Incident
from handlers.incidents.policy import levels
from slackbot.context import BotContext
from slackbot.effects import effect_of
from slackbot.gitlab_client import configured, gitlab_failure
from slackbot.mrkdwn import is_user_id
from slackbot.outbox import Delivery, Gone, Sender, TryAgain, still_there
from slackbot.ratelimit import POST_MESSAGE, Call
from slackbot.slack_effects import post_once, posted, slack_failure
from slackbot.work import Work

log = logging.getLogger(__name__)

INVITE_REFUSALS = {"already_in_channel", "user_not_found", "cant_invite_self", "user_is_restricted"}


def incident_of(ctx: BotContext, incident_id: int) -> Incident:
    with ctx.db.reading() as session:
        incident = still_there(session.get(Incident, incident_id), "incident")
        session.expunge(incident)
        return incident


def issue_of(delivery: Delivery) -> int:
    return effect_of(delivery, service.FileIssue).incident


def user_of(delivery: Delivery) -> str:
    return delivery.lane.removeprefix("slack:")


def send_page(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    page = effect_of(delivery, service.Page)
    with ctx.db.reading() as session:
        incident = session.get(Incident, page.incident)
        if incident is None or incident.state != "open":
            raise Gone("the incident is no longer open: page not sent")
        link = ctx.link(session, incident.ref)
        text, blocks = messages.page(incident, page.level, len(levels(incident.policy)), link, page.by, page.note)
    return post_once(ctx.outbox_client, delivery, {"channel": user_of(delivery), "text": text, "blocks": blocks})


def call(client: WebClient, method: str, **params: Any) -> dict[str, Any]:
    try:
        return dict(client.api_call(method, json=params).data)  # type: ignore[arg-type]
    except Exception as exc:
        raise slack_failure(exc, Call(method, str(params.get("channel", "")), True)) from None


def invite(client: WebClient, channel: str, users: list[str]) -> None:
    """People who cannot be invited (already there, deactivated) do not hold the others up."""
    try:
        client.conversations_invite(channel=channel, users=",".join(users))
    except SlackApiError as exc:
        if exc.response.get("error") not in INVITE_REFUSALS:
            raise slack_failure(exc, Call("conversations.invite", channel, True)) from None
        log.info("not invited to %s: %s (%s)", channel, ",".join(users), exc.response.get("error"))


def intro(ctx: BotContext, delivery: Delivery, incident: Incident, room: str) -> None:
    with ctx.db.reading() as session:
        text, blocks = messages.room_intro(incident, ctx.link(session, incident.ref))
    post_once(ctx.outbox_client, delivery, {"channel": room, "text": text, "blocks": blocks})


def archive(client: WebClient, room: str) -> None:
    call(client, "conversations.archive", channel=room)


ROOM_STEPS: dict[str, Callable[[BotContext, Delivery, service.RoomStep, Incident, str], None]] = {
    "invite": lambda ctx, _delivery, step, _incident, room: invite(ctx.outbox_client, room, step.users),
    "intro": lambda ctx, delivery, _step, incident, room: intro(ctx, delivery, incident, room),
    "archive": lambda ctx, _delivery, _step, _incident, room: archive(ctx.outbox_client, room),
}


def send_room(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    step = effect_of(delivery, service.RoomStep)
    if step.op == "create":
        return {"room": call(ctx.outbox_client, "conversations.create", name=step.name)["channel"]["id"]}
    incident = incident_of(ctx, step.incident)
    if incident.room_channel_id is None:
        return {}  # the channel was refused: the incident goes on in the status thread
    ROOM_STEPS[step.op](ctx, delivery, step, incident, incident.room_channel_id)
    return {}


def room_done(work: Work, delivery: Delivery, result: dict[str, Any]) -> None:
    if "room" in result:
        service.room_opened(work, effect_of(delivery, service.RoomStep).incident, result["room"])


def room_failed(work: Work, delivery: Delivery, error: str) -> None:
    step = effect_of(delivery, service.RoomStep)
    if step.op == "create":
        log.warning(
            "Slack refused the channel of incident %s (%s): it goes on in the status thread", step.incident, error
        )
        service.room_refused(work, step.incident)


def send_say(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    say = effect_of(delivery, service.Say)
    incident = incident_of(ctx, say.incident)
    if incident.room_state == "pending":
        raise TryAgain("the incident's channel is not made yet")
    text = say.text
    if incident.room_channel_id is not None:
        return post_once(ctx.outbox_client, delivery, {"channel": incident.room_channel_id, "text": text})
    if say.mirrored:
        return {}  # already in the status thread
    with ctx.db.reading() as session:
        message = posted(session, incident.ref)
    if message is None:
        raise TryAgain("the incident's status message is not posted yet")
    return post_once(ctx.outbox_client, delivery, {"channel": message.channel, "thread_ts": message.ts, "text": text})


def say_calls(ctx: BotContext, delivery: Delivery) -> list[Call]:
    with ctx.db.reading() as session:
        incident = session.get(Incident, effect_of(delivery, service.Say).incident)
        channel = (incident.room_channel_id or incident.channel_id) if incident else ""
    return [Call(POST_MESSAGE, channel, True)]


def send_issue(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    settings = ctx.config.section(IncidentsSection)
    gitlab_client = configured(ctx.gitlab)
    with ctx.db.reading() as session:
        incident = still_there(session.get(Incident, issue_of(delivery)), "incident")
        entries = service.timeline(session, incident)
        people = {incident.lead, incident.declared_by, *(e.actor for e in entries)}
        names = ctx.directory.names(session, sorted(p for p in people if p and is_user_id(p)))
        room = f"{ctx.team_url.rstrip('/')}/archives/{incident.room_channel_id}" if incident.room_channel_id else ""
        links = report.Links(status=ctx.link(session, incident.ref), room=room)
        fields = {
            "title": report.title(incident),
            "description": report.description(incident, entries, names, links, ctx.settings.gitlab_token),
            "labels": ",".join(report.labels(incident, settings.labels)),
            "issue_type": "incident",
        }
        token = ctx.settings.gitlab_token
        found_by, line = report.issue_marker(incident.id, token), report.marker_line(incident.id, token)
    try:
        project = gitlab_client.projects.get(settings.issue_project(ctx.config), lazy=True)
        wanted = {"search": found_by, "in": "description"}  # "in" is a Python keyword: passed as a dict
        found = [
            i for i in project.issues.list(query_parameters=wanted, get_all=False) if line in (i.description or "")
        ]
        issue = found[0] if found else project.issues.create(fields)
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {"url": str(issue.web_url)}


def issue_retrying(work: Work, delivery: Delivery, error: str) -> None:
    if delivery.attempts == 0:
        service.issue_failing(work, issue_of(delivery), error, for_good=False)


def register(ctx: BotContext) -> None:
    ctx.outbox.register(
        service.Page.KIND,
        Sender(send=partial(send_page, ctx), calls=lambda d: [Call(POST_MESSAGE, user_of(d), urgent=True)]),
    )
    ctx.outbox.register(service.RoomStep.KIND, Sender(send=partial(send_room, ctx), done=room_done, failed=room_failed))
    ctx.outbox.register(service.Say.KIND, Sender(send=partial(send_say, ctx), calls=partial(say_calls, ctx)))
    ctx.outbox.register(
        service.FileIssue.KIND,
        Sender(
            send=partial(send_issue, ctx),
            done=lambda work, d, result: service.issue_filed(work, issue_of(d), result["url"]),
            failed=lambda work, d, error: service.issue_failing(work, issue_of(d), error, for_good=True),
            retrying=issue_retrying,
        ),
    )
