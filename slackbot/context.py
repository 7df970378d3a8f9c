"""What every capability gets when it registers: the configuration and the shared plumbing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import gitlab
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from slackbot import idempotency
from slackbot.access import Access
from slackbot.charts import Charts
from slackbot.clock import Clock
from slackbot.commands import CommandRegistry
from slackbot.config import Config, Settings, channel_problem
from slackbot.db import Database
from slackbot.executor import TrackingExecutor
from slackbot.home import HomeSections
from slackbot.inbox import Handler, Inbox, Matcher
from slackbot.interactions import Interactions
from slackbot.metrics import Metrics
from slackbot.outbox import Outbox
from slackbot.pagerduty import PagerDuty
from slackbot.pages import Pages
from slackbot.people import Directory
from slackbot.providers import Providers
from slackbot.scheduler import Scheduler
from slackbot.signals import Signals
from slackbot.slack_effects import permalink, posted
from slackbot.webhooks import GitLabWebhooks, Validator
from slackbot.work import Work


@dataclass
class BotContext:
    settings: Settings
    config: Config
    db: Database
    access: Access
    clock: Clock
    metrics: Metrics
    scheduler: Scheduler
    outbox: Outbox
    inbox: Inbox
    commands: CommandRegistry
    interactions: Interactions
    webhooks: GitLabWebhooks
    home: HomeSections
    pages: Pages
    charts: Charts
    signals: Signals
    providers: Providers  # questions one capability answers for another (``slackbot.providers``)
    directory: Directory
    executor: TrackingExecutor
    client: WebClient  # for calls a request must make itself (views.open) and background reads
    outbox_client: WebClient  # for senders: never retries or sleeps inside a call
    channels: dict[str, str]
    bot_user_id: str
    team_url: str
    gitlab: gitlab.Gitlab | None
    pagerduty: PagerDuty | None

    @property
    def zone(self) -> ZoneInfo:
        """The team's time zone (``timezone`` in the config)."""
        return _zone(self.config.timezone)

    def channel(self, key_or_id: str) -> str:
        """The ID of a channel key from ``[channels]``; IDs pass through."""
        return self.channels.get(key_or_id, key_or_id)

    def named_channel(self, path: str, ref: str) -> str | None:
        """The ID of a channel a section names (``reviews.ux_channel``): a ``[channels]`` key or an ID
        as ``channel`` gives it, a name as looked up at start; None if it was not found."""
        if channel_problem(ref.lstrip("#")) is None:
            return self.channel(ref.lstrip("#"))
        return self.channels.get(path)

    @contextmanager
    def work(self) -> Iterator[Work]:
        """One unit of work: state changes and the effects they decide, committed together."""
        with self.outbox.work() as unit:
            yield unit

    def on_event(self, event_type: str, handler: Handler, matches: Matcher | None = None) -> None:
        """Handle a Slack event type from the inbox, in the unit of work that marks it done."""
        self.inbox.router.on("slack", event_type, handler, matches)

    def on_webhook(self, object_kind: str, validate: Validator, handler: Handler) -> None:
        """Accept GitLab hooks of this kind (``validate`` raises ``WebhookRejected``; answered 400)."""
        self.webhooks.accept(object_kind, validate)
        self.inbox.router.on("gitlab", object_kind, handler)

    def once(self, work: Work, key: str) -> bool:
        """True the first time ``key`` is claimed; the claim commits (or rolls back) with ``work``."""
        claimed = idempotency.claim(work.session, key, work.now)
        if not claimed:
            self.metrics.events_deduplicated.labels("schedule").inc()
        return claimed

    def permalink(self, channel: str, ts: str) -> str:
        return permalink(self.team_url, channel, ts)

    def link(self, session: Session, ref: str) -> str:
        """The link of the bot's message ``ref``; "" while it is not posted."""
        message = posted(session, ref)
        return permalink(self.team_url, message.channel, message.ts) if message is not None else ""


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
