"""The app factory: builds one bot (edge, inbox, outbox, Bolt app, scheduler) from settings, config
and the capabilities to wire in.

Nothing is built at import time; ``build_bot`` is called by the CLI, the WSGI entry point, the
test harness and the demo, each passing its own clock and database.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete, func, select

from slackbot import charts, pagerduty
from slackbot.access import Access, GroupMembers, People
from slackbot.capability import Capability, named_channels
from slackbot.channels import SlackUnavailable, WorkspaceCache, identify, resolve_channels
from slackbot.charts import Charts
from slackbot.clock import Clock, SystemClock
from slackbot.commands import CommandRegistry
from slackbot.config import Config, Settings
from slackbot.context import BotContext
from slackbot.db import Database
from slackbot.edge import REPLAY_WINDOW, SlackEdge
from slackbot.executor import TrackingExecutor
from slackbot.gitlab_client import make_gitlab
from slackbot.home import HomeSections
from slackbot.inbox import REQUEST_KEY, Inbox
from slackbot.interactions import Interactions
from slackbot.metrics import Metrics
from slackbot.models import InboxItem, OutboxItem, ProcessedKey
from slackbot.outbox import Outbox, Priority
from slackbot.pagerduty import PagerDuty
from slackbot.pages import Pages
from slackbot.people import Directory
from slackbot.periodic import claim_period
from slackbot.providers import Providers
from slackbot.ratelimit import Pacer, SlackLimits
from slackbot.scheduler import Scheduler
from slackbot.signals import Signals
from slackbot.slack_client import make_web_client
from slackbot.slack_effects import (
    GroupDM,
    Respond,
    SlackCall,
    SlackSender,
    UserGroups,
    group_dm_sender,
    respond_sender,
)
from slackbot.webhooks import GitLabWebhooks

log = logging.getLogger(__name__)

KEEP_FINISHED = timedelta(days=7)  # delivered effects and processed events are kept this long


@dataclass
class Bot:
    ctx: BotContext
    bolt: App
    edge: SlackEdge

    def start_background(self) -> None:
        """Production: the scheduler's clock and the deliverer's loop (tests drive both by hand)."""
        self.ctx.scheduler.start()
        self.ctx.outbox.start()

    def settle(self) -> None:
        """Tests and the demo: wait until what has been received is processed and what is due is sent."""
        for _ in range(20):
            self.ctx.executor.wait_idle()
            self.ctx.inbox.wait_idle()
            self.ctx.scheduler.wait_background()
            self.ctx.outbox.drain()
            if self.ctx.executor.idle() and self.ctx.inbox.idle() and self.ctx.outbox.idle():
                return

    def shutdown(self) -> None:
        """Stop taking scheduled work, let deliveries in flight finish, then hand the lease over."""
        self.ctx.scheduler.shutdown(release=False)
        self.ctx.outbox.stop()
        self.ctx.executor.shutdown(wait=True)
        self.ctx.scheduler.release()
        self.ctx.db.dispose()


class _KnownBoltNotices(logging.Filter):
    """Bolt warns that it ignores SLACK_BOT_TOKEN from the environment (the bot gives it the token on
    purpose through ``authorize``), and dumps a whole payload with sample code for a request no
    listener handles (the edge logs one line for it instead): both only confuse an operator."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "`token` will be unused" not in message and not message.startswith("Unhandled request")


class StartupError(Exception):
    """The bot cannot start; the message says why and what to change."""


def build_bot(
    settings: Settings,
    config: Config,
    capabilities: Sequence[Capability],
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    scheduler_holder: str | None = None,
    limits: SlackLimits | None = None,
) -> Bot:
    clock = clock or SystemClock()
    metrics = Metrics()
    db = Database(settings.database_url)
    if migrate:
        db.migrate()
    identity, channels = _learn_workspace(
        make_web_client(settings.bot_token, settings.slack_api_url, metrics, retries=False),
        config,
        WorkspaceCache(db),
        clock.now(),
        named_channels(config, capabilities),
    )
    requests_client = make_web_client(settings.bot_token, settings.slack_api_url, metrics)
    delivery_client = make_web_client(settings.bot_token, settings.slack_api_url, metrics, retries=False)
    scheduler = Scheduler(db, clock, config.scheduler.tick, metrics, scheduler_holder)
    outbox = Outbox(db, clock, metrics, Pacer(limits), scheduler.lease.holder, scheduler.lease.holding)
    executor = TrackingExecutor()
    inbox = Inbox(db, clock, metrics, outbox)
    bolt_log = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _KnownBoltNotices) for f in bolt_log.filters):
        bolt_log.addFilter(_KnownBoltNotices())
    bolt = App(
        client=WebClient(base_url=requests_client.base_url),  # no token: each request's comes from `authorize`
        signing_secret=settings.signing_secret or "unused-in-socket-mode",
        request_verification_enabled=False,  # the edge has checked the signature on the raw bytes
        authorize=_fixed_authorization(identity, settings.bot_token),
        process_before_response=True,  # listeners record their work, then acknowledge
        ignoring_self_events_enabled=False,
        url_verification_enabled=False,
        logger=bolt_log,
    )
    access = Access(
        db,
        config.slack.admins,
        str(identity.get("team_id") or ""),
        GroupMembers(db, delivery_client),  # never waits out a 429 at start
        People(requests_client),
    )
    ctx = BotContext(
        settings=settings,
        config=config,
        db=db,
        access=access,
        clock=clock,
        metrics=metrics,
        scheduler=scheduler,
        outbox=outbox,
        inbox=inbox,
        commands=CommandRegistry(access, executor.run_soon, lambda url, text: _reply(outbox, url, text)),
        interactions=Interactions(bolt, outbox, requests_client),
        webhooks=GitLabWebhooks(settings.gitlab_webhook_secret, inbox),
        home=HomeSections(),
        pages=Pages(),
        charts=Charts(),
        signals=Signals(),
        providers=Providers(),
        directory=Directory(config, db, requests_client),
        executor=executor,
        client=requests_client,
        outbox_client=delivery_client,
        channels=channels,
        bot_user_id=str(identity["user_id"]),
        team_url=str(identity.get("url") or "https://slack.com/"),
        gitlab=make_gitlab(settings),
        pagerduty=PagerDuty(settings.pagerduty_events_url, settings.pagerduty_routing_key)
        if settings.pagerduty_routing_key
        else None,
    )
    outbox.register(SlackCall.KIND, SlackSender(delivery_client, db, UserGroups(delivery_client)).sender())
    outbox.register(Respond.KIND, respond_sender())
    outbox.register(GroupDM.KIND, group_dm_sender(delivery_client))
    outbox.register(charts.Chart.KIND, charts.sender(delivery_client, ctx.charts))
    if ctx.pagerduty is not None:
        outbox.register(pagerduty.PagerDutyEvent.KIND, pagerduty.sender(ctx.pagerduty, db, ctx.team_url))
    scheduler.add("inbox.retries", inbox.sweep, Priority.URGENT)
    scheduler.add("plumbing.prune", lambda now: _prune(db, now), Priority.HOME)
    scheduler.add("slack.refresh_groups", access.groups.refresh, background=True)
    for capability in capabilities:
        for command in capability.commands:
            ctx.commands.router(command.name, command.summary)
    for capability in capabilities:
        capability.register(ctx)
    ctx.commands.install(bolt)
    bolt.error(_answer_errors)
    access.groups.refresh(clock.now())  # the roles that come from user groups hold from the first request
    log.info("features: %s", "; ".join(feature_summary(settings, config, capabilities)))
    return Bot(ctx, bolt, SlackEdge(bolt, inbox, metrics, access, lambda url, text: _reply(outbox, url, text)))


def _learn_workspace(
    client: WebClient, config: Config, cache: WorkspaceCache, now: datetime, named: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Who the bot is and where its channels are: from Slack, or from the last start while Slack refuses."""
    try:
        identity = identify(client, cache, now)
    except SlackApiError as exc:
        raise StartupError(f"Slack rejected SLACK_BOT_TOKEN: {exc.response.get('error')}") from None
    except SlackUnavailable:
        raise StartupError("Slack did not answer auth.test, and no earlier start is remembered") from None
    try:
        return identity, resolve_channels(client, config.channels, cache, now, named)
    except SlackApiError as exc:
        raise StartupError(f"could not look up Slack channels: {exc.response.get('error')}") from None
    except SlackUnavailable:
        raise StartupError("Slack did not answer the channel lookups, and no earlier start found them") from None


def _fixed_authorization(identity: dict[str, Any], token: str) -> Any:
    """Bolt authorizes every request from the ``auth.test`` made at start: a Slack outage later never
    makes it tell a person to reinstall the app."""
    result = AuthorizeResult(
        enterprise_id=identity.get("enterprise_id"),
        team_id=identity.get("team_id"),
        bot_user_id=identity.get("user_id"),
        bot_id=identity.get("bot_id"),
        bot_token=token,
    )
    return lambda **_kwargs: result


def _reply(outbox: Outbox, response_url: str, text: str) -> None:
    with outbox.work() as work:
        work.slack.respond(response_url, text)


def _prune(db: Database, now: datetime) -> None:
    """Delivered effects and processed events are kept a week, for inspection, then deleted (hourly)."""
    cutoff = now - KEEP_FINISHED
    with db.transaction() as session:
        if not claim_period(session, "plumbing.prune", now, timedelta(hours=1)):
            return
        session.execute(
            delete(OutboxItem).where(
                OutboxItem.state.in_(("done", "cancelled", "dropped")), OutboxItem.created_at < cutoff
            )
        )
        session.execute(
            delete(InboxItem).where(InboxItem.state.in_(("done", "dropped")), InboxItem.received_at < cutoff)
        )
        replayable = now - timedelta(seconds=2 * REPLAY_WINDOW)  # older ones fail the signature's window anyway
        session.execute(
            delete(ProcessedKey).where(ProcessedKey.key.like(REQUEST_KEY + "%"), ProcessedKey.processed_at < replayable)
        )


def parked_counts(db: Database) -> dict[str, int]:
    with db.reading() as session:
        return {
            "inbox": session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.state == "parked"))
            or 0,
            "outbox": session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.state == "parked"))
            or 0,
        }


def _answer_errors(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse:
    logger.error("listener failed for a %s request: %r", body.get("type", "command"), error, exc_info=error)
    return BoltResponse(status=200, body="")


def feature_summary(settings: Settings, config: Config, capabilities: Sequence[Capability]) -> list[str]:
    """What is on and what is off for lack of config, said once at start."""
    gitlab = "on" if settings.gitlab_token else "off (GITLAB_TOKEN unset)"
    return [
        f"mode: {'Socket Mode' if settings.socket_mode else 'HTTP'}",
        f"GitLab API ({settings.gitlab_url}): {gitlab}",
        "GitLab webhook: " + ("on" if settings.gitlab_webhook_secret else "off (GITLAB_WEBHOOK_SECRET unset)"),
        "PagerDuty: " + ("on" if settings.pagerduty_routing_key else "off (PAGERDUTY_ROUTING_KEY unset)"),
        f"people: {len(config.people)}",
        "capabilities: " + ", ".join(c.name for c in capabilities),
    ]
