"""``/review`` from Slack, the `I'll review` button, and GitLab's Merge Request Hook."""

from __future__ import annotations

import re
from functools import partial
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from handlers.reviews import messages, service
from handlers.reviews.config import ReviewsSection
from handlers.reviews.events import merge_request_from_webhook
from slackbot.commands import CommandCall, UsageError
from slackbot.context import BotContext
from slackbot.home import HomeChanged
from slackbot.inbox import InboxEvent, Rejected
from slackbot.interactions import Click
from slackbot.webhooks import WebhookRejected
from slackbot.work import Work

MR_PATH = re.compile(r"/([\w.-]+(?:/[\w.-]+)+)/-/merge_requests/(\d{1,9})/?")
EXAMPLE = "`/review https://gitlab.com/gitlab-org/customers-gitlab-com/-/merge_requests/123 maintainer`"


def settings(ctx: BotContext) -> ReviewsSection:
    return ctx.config.section(ReviewsSection)


def merge_request(ctx: BotContext, token: str) -> tuple[str, int, str]:
    """(project, iid, the MR's URL, rebuilt from those) of a merge request link on ``GITLAB_URL``."""
    url = token.strip("<>").split("|")[0]
    parsed = urlparse(url)
    home = urlparse(ctx.settings.gitlab_url)
    found = MR_PATH.fullmatch("/" + parsed.path.removeprefix(home.path.rstrip("/")).lstrip("/"))
    if parsed.scheme not in ("http", "https") or parsed.netloc != home.netloc or found is None:
        raise UsageError(f"Give a merge request's link on {ctx.settings.gitlab_url}: {EXAMPLE}.")
    project, iid = found[1], int(found[2])
    return project, iid, f"{ctx.settings.gitlab_url.rstrip('/')}/{project}/-/merge_requests/{iid}"  # no typed parts


def channel_for(ctx: BotContext, kind: str) -> str:
    section = settings(ctx)
    if kind != "ux":
        return ctx.channel(section.channel)
    found = ctx.named_channel(f"{ReviewsSection.KEY}.ux_channel", section.ux_channel)
    if found is None:
        raise UsageError(f'The UX channel "{section.ux_channel}" was not found at start: ask an admin to create it.')
    return found


def ask(ctx: BotContext, call: CommandCall) -> str:
    words = call.text.split(maxsplit=2)
    if not words:
        raise UsageError(f"Give the merge request: {EXAMPLE}.")
    project, iid, url = merge_request(ctx, words[0])
    kind = words[1].lower() if len(words) > 1 and words[1].lower() in service.KINDS else ""
    note = " ".join(words[2 if kind else 1 :])
    channel = channel_for(ctx, kind)
    with ctx.work() as work:
        request = service.create(work, project, iid, url, kind, note, call.user_id, channel)
        ctx.signals.send(work, HomeChanged((call.user_id,)))
    return f"Asked in <#{channel}>: it needs {messages.needed(service.missing(request.kind, []))}."


def roles(ctx: BotContext, session: Session, user: str) -> service.Roles:
    section = settings(ctx)
    maintainer = user in section.maintainers or ctx.access.in_group(session, section.maintainers_usergroup, user)
    return service.Roles(maintainer=maintainer, database=user in section.database_reviewers)


def gitlab_username(ctx: BotContext, user: str) -> str:
    """Their GitLab username from ``[[people]]``, if GitLab is configured to set it as reviewer."""
    found = ctx.config.gitlab_usernames().get(user, "")
    return found if ctx.gitlab is not None else ""


def on_claim(ctx: BotContext, work: Work, click: Click) -> str | None:
    request = service.lock(work.session, int(click.value)) if click.value.isdigit() else None
    if request is None:
        return "That request no longer exists."
    who = roles(ctx, work.session, click.user_id)
    answer = service.claim(work, request, click.user_id, who, gitlab_username(ctx, click.user_id), click.response_url)
    if answer is None:
        ctx.signals.send(work, HomeChanged((request.requester, click.user_id)))
    return answer


def list_open(ctx: BotContext, _call: CommandCall) -> str:
    with ctx.db.reading() as session:
        found = [(r, service.missing(r.kind, service.claims_of(session, r.id))) for r in service.open_requests(session)]
    return messages.open_list(found, ctx.clock.now())


def on_merge_request(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    try:
        event = merge_request_from_webhook(item.payload)
    except WebhookRejected as exc:
        raise Rejected(str(exc)) from None
    changed = service.heard(work, event)
    if changed:
        claimers = {c.user for r in changed for c in service.claims_of(work.session, r.id)}
        ctx.signals.send(work, HomeChanged(tuple(sorted({r.requester for r in changed} | claimers))))


def home(session: Session, user: str, _now: object) -> list[dict[str, object]]:
    return messages.home_section(service.requested_by(session, user), service.reviewing(session, user))


def register(ctx: BotContext) -> None:
    ctx.access.groups.watch(settings(ctx).maintainers_usergroup)
    ctx.interactions.on_click(messages.CLAIM, partial(on_claim, ctx))
    ctx.on_webhook("merge_request", merge_request_from_webhook, partial(on_merge_request, ctx))
    router = ctx.commands.router("/review")
    router.add(
        "",
        partial(ask, ctx),
        "ask for a review in the engineering channel (`ux`: in the UX channel)",
        "MR_URL [maintainer|database|ux|trivial] [note]",
    )
    router.add("list", partial(list_open, ctx), "open review requests and what each still needs")
