"""The app factory: builds one bot (Bolt app, scheduler, web routes) from settings and config.

Nothing is built at import time; ``build_bot`` is called by the CLI, the WSGI entry point, the
test harness and the demo, each passing its own clock and database.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import gitlab
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from slackbot import idempotency
from slackbot.channels import resolve_channels
from slackbot.clock import Clock, SystemClock
from slackbot.commands import CommandRegistry
from slackbot.config import Config, Settings
from slackbot.db import Database
from slackbot.executor import TrackingExecutor
from slackbot.gitlab_client import make_gitlab
from slackbot.metrics import Metrics
from slackbot.pagerduty import PagerDuty
from slackbot.scheduler import Scheduler
from slackbot.signals import Signals
from slackbot.slack_client import make_web_client
from slackbot.webhooks import GitLabWebhooks

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class BotContext:
    """What every capability gets at ``register``: configuration and the shared plumbing."""

    settings: Settings
    config: Config
    db: Database
    clock: Clock
    client: WebClient
    metrics: Metrics
    scheduler: Scheduler
    commands: CommandRegistry
    webhooks: GitLabWebhooks
    channels: dict[str, str]
    bot_user_id: str
    gitlab: gitlab.Gitlab | None
    pagerduty: PagerDuty | None
    signals: Signals

    def channel(self, key_or_id: str) -> str:
        """The ID of a channel key from ``[channels]``; IDs pass through."""
        return self.channels.get(key_or_id, key_or_id)

    def once(self, key: str, effect: Callable[[Session], T], source: str = "event") -> T | None:
        """Run ``effect`` in a transaction that also records ``key``; skip it if the key was recorded."""
        with self.db.transaction() as session:
            if not idempotency.claim(session, key, self.clock.now()):
                self.metrics.events_deduplicated.labels(source).inc()
                log.info("skipped %s: already processed", key)
                return None
            return effect(session)

    def each(self, items: Iterable[T], step: Callable[[Session, T], object], what: str) -> None:
        """Do ``step`` for each item in a transaction of its own; a failure is logged and the item,
        still due in the database, is tried again on the next tick."""
        for item in items:
            try:
                with self.db.transaction() as session:
                    step(session, item)
            except Exception:
                log.exception("%s for %s failed; it stays due for the next tick", what, item)


@dataclass
class Bot:
    ctx: BotContext
    bolt: App
    executor: TrackingExecutor

    def start_scheduler(self) -> None:
        self.ctx.scheduler.start()

    def shutdown(self) -> None:
        self.ctx.scheduler.shutdown()
        self.executor.shutdown(wait=True)
        self.ctx.db.dispose()


class StartupError(Exception):
    """The bot cannot start; the message says why and what to change."""


def build_bot(
    settings: Settings,
    config: Config,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    scheduler_holder: str | None = None,
) -> Bot:
    clock = clock or SystemClock()
    metrics = Metrics()
    db = Database(settings.database_url)
    if migrate:
        db.migrate()
    client = make_web_client(settings.bot_token, settings.slack_api_url, metrics)
    bot_user_id = _authenticate(client)
    try:
        channels = resolve_channels(client, config.channels)
    except SlackApiError as exc:
        raise StartupError(f"could not list Slack channels: {exc.response.get('error')}") from None
    ctx = BotContext(
        settings=settings,
        config=config,
        db=db,
        clock=clock,
        client=client,
        metrics=metrics,
        scheduler=Scheduler(db, clock, config.scheduler.tick, metrics, scheduler_holder),
        commands=CommandRegistry(config.slack.admins),
        webhooks=GitLabWebhooks(settings.gitlab_webhook_secret),
        channels=channels,
        bot_user_id=bot_user_id,
        gitlab=make_gitlab(settings),
        pagerduty=PagerDuty(settings.pagerduty_events_url, settings.pagerduty_routing_key)
        if settings.pagerduty_routing_key
        else None,
        signals=Signals(),
    )
    executor = TrackingExecutor()
    bolt = App(
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=not settings.socket_mode,
        token_verification_enabled=False,
        listener_executor=executor,
        logger=logging.getLogger("slack_bolt"),
    )
    bolt.middleware(_measure(metrics))
    bolt.middleware(_skip_processed_events(ctx))

    from handlers import register_all

    register_all(bolt, ctx)
    ctx.commands.install(bolt)
    bolt.event(re.compile(".*"))(_ignore_event)
    bolt.error(_answer_errors)
    log.info("features: %s", "; ".join(feature_summary(settings, config)))
    return Bot(ctx, bolt, executor)


def _authenticate(client: WebClient) -> str:
    try:
        return str(client.auth_test()["user_id"])
    except SlackApiError as exc:
        raise StartupError(f"Slack rejected SLACK_BOT_TOKEN: {exc.response.get('error')}") from None


def _measure(metrics: Metrics) -> Callable[..., Any]:
    def measure_handler_time(body: dict[str, Any], next: Callable[[], Any]) -> Any:
        kind = str(body.get("type") or ("slash_command" if "command" in body else "unknown"))
        started = time.perf_counter()
        try:
            return next()
        finally:
            metrics.handler_seconds.labels(kind).observe(time.perf_counter() - started)

    return measure_handler_time


def _skip_processed_events(ctx: BotContext) -> Callable[..., Any]:
    """A retried or repeated event whose effect is recorded is acknowledged and goes no further."""

    def skip_processed_events(body: dict[str, Any], next: Callable[[], Any]) -> Any:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with ctx.db.reading() as session:
                done = idempotency.is_claimed(session, idempotency.event_key(event_id))
            if done:
                ctx.metrics.events_deduplicated.labels("event").inc()
                return BoltResponse(status=200, body="")
        return next()

    return skip_processed_events


def _ignore_event() -> None:
    """Events no capability listens to are acknowledged, so Slack does not retry them."""


def _answer_errors(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse:
    logger.error("listener failed for a %s request: %r", body.get("type", "command"), error, exc_info=error)
    return BoltResponse(status=200, body="")


def feature_summary(settings: Settings, config: Config) -> list[str]:
    """What is on and what is off for lack of config, said once at start."""
    gitlab = "on" if settings.gitlab_token else "off (GITLAB_TOKEN unset)"
    return [
        f"mode: {'Socket Mode' if settings.socket_mode else 'HTTP'}",
        f"GitLab API ({settings.gitlab_url}): {gitlab}",
        "GitLab webhook: " + ("on" if settings.gitlab_webhook_secret else "off (GITLAB_WEBHOOK_SECRET unset)"),
        "PagerDuty: " + ("on" if settings.pagerduty_routing_key else "off (PAGERDUTY_ROUTING_KEY unset)"),
        f"people: {len(config.people)}",
        f"health probes: {len(config.status.probes)}",
        f"escalation levels: {len(config.incidents.escalation)}",
        f"cadence reminders: {len(config.cadence)}",
    ]
