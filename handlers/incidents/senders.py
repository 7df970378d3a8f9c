"""Delivering what incidents decide: DM pages (rendered when sent, never for an incident no longer
open), the incident's channel (created, joined by the people paged, archived), what is said in it
(or, if Slack refused the channel, in the status message's thread), and the GitLab incident issue."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import gitlab
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.incidents import followups, messages, report, service
from handlers.incidents.config import IncidentsSection
from handlers.incidents.models import Followup, Incident
from handlers.incidents.policy import levels
from slackbot.context import BotContext
from slackbot.effects import effect_of
from slackbot.gitlab_client import configured, create_issue_once, gitlab_failure, user_id
from slackbot.mrkdwn import is_user_id
from slackbot.outbox import Delivery, DeliveryError, Gone, Sender, TryAgain, still_there
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
        filed = followups.of_incident(session, incident.id)
        people = {incident.lead, incident.declared_by, *(e.actor for e in entries), *(f.owner for f in filed)}
        names = ctx.directory.names(session, sorted(p for p in people if p and is_user_id(p)))
        room = f"{ctx.team_url.rstrip('/')}/archives/{incident.room_channel_id}" if incident.room_channel_id else ""
        links = report.Links(status=ctx.link(session, incident.ref), room=room)
        fields = {
            "title": report.title(incident),
            "description": report.description(incident, entries, names, links, filed),
            "labels": ",".join(report.labels(incident, settings.labels)),
            "issue_type": "incident",
        }
    try:
        project = gitlab_client.projects.get(settings.issue_project(ctx.config), lazy=True)
        issue = create_issue_once(project, fields, ctx.settings.gitlab_token, report.issue_key(incident.id))
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {"url": str(issue.web_url)}


ISSUE_PATH = re.compile(r"/-/issues/(\d+)$")


def send_followup(ctx: BotContext, delivery: Delivery) -> dict[str, Any]:
    """The follow-up's issue: filed once (its hidden marker), assigned to its owner when
    ``[[people]]`` gives their GitLab username, and linked to the incident's issue once that is filed."""
    followup_id = effect_of(delivery, followups.FileFollowup).followup
    client = configured(ctx.gitlab)
    with ctx.db.reading() as session:
        found = still_there(session.get(Followup, followup_id), "follow-up")
        incident = still_there(session.get(Incident, found.incident_id), "incident")
        status_link = ctx.link(session, incident.ref)
    names = {user: ctx.directory.real_name(user) for user in (found.owner, found.created_by)}
    fields: dict[str, Any] = {
        "title": report.followup_title(incident, found),
        "description": report.followup_description(incident, found, names, status_link),
        "labels": followups.LABEL,
    }
    username = ctx.config.gitlab_usernames().get(found.owner, "")
    incident_issue = ISSUE_PATH.search(incident.issue_url or "")
    try:
        if username:
            fields["assignee_ids"] = [user_id(client, username)]
        project = client.projects.get(found.project, lazy=True)
        issue = create_issue_once(project, fields, ctx.settings.gitlab_token, f"followup-{followup_id}")
        if incident_issue is not None:
            link(issue, found.project, int(incident_issue[1]))
    except DeliveryError:
        raise
    except Exception as exc:
        raise gitlab_failure(exc) from None
    return {"iid": int(issue.iid), "url": str(issue.web_url)}


def link(issue: Any, project: str, iid: int) -> None:
    """Relate two issues; a link GitLab already has (409, a retry's) is fine."""
    try:
        issue.links.create({"target_project_id": project, "target_issue_iid": iid})
    except gitlab.exceptions.GitlabCreateError as exc:
        if exc.response_code != 409:
            raise


def followup_filed(work: Work, delivery: Delivery, result: dict[str, Any]) -> None:
    followups.filed(work, effect_of(delivery, followups.FileFollowup).followup, result["iid"], result["url"])


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
    ctx.outbox.register(followups.FileFollowup.KIND, Sender(send=partial(send_followup, ctx), done=followup_filed))
    ctx.outbox.register(
        service.FileIssue.KIND,
        Sender(
            send=partial(send_issue, ctx),
            done=lambda work, d, result: service.issue_filed(work, issue_of(d), result["url"]),
            failed=lambda work, d, error: service.issue_failing(work, issue_of(d), error, for_good=True),
            retrying=issue_retrying,
        ),
    )
