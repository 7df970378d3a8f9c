"""Keeping a rotation's user group on the person on call: ``usergroups.users.update``, with the
group's ID looked up by its handle when the update is sent."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from handlers.oncall.service import SyncUsergroup
from slackbot.context import BotContext
from slackbot.effects import effect_of
from slackbot.outbox import Delivery, Refused, Sender
from slackbot.ratelimit import Call
from slackbot.slack_effects import slack_failure

LIST, UPDATE = "usergroups.list", "usergroups.users.update"


def sync_usergroup(client: WebClient, delivery: Delivery) -> dict[str, Any]:
    sync = effect_of(delivery, SyncUsergroup)
    handle = sync.handle
    try:
        groups = client.usergroups_list()["usergroups"]
    except Exception as exc:
        raise slack_failure(exc, Call(LIST, "")) from None
    group = next((g for g in groups if g.get("handle") == handle), None)
    if group is None:
        raise Refused(f"{UPDATE}: there is no user group @{handle}")
    try:
        client.usergroups_users_update(usergroup=group["id"], users=",".join(sync.users))
    except Exception as exc:
        raise slack_failure(exc, Call(UPDATE, "")) from None
    return {}


def register(ctx: BotContext) -> None:
    ctx.outbox.register(
        SyncUsergroup.KIND,
        Sender(
            send=lambda d: sync_usergroup(ctx.outbox_client, d), calls=lambda _d: [Call(LIST, ""), Call(UPDATE, "")]
        ),
    )
