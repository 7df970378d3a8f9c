"""Prometheus metrics, one registry per bot so tests and several bots in one process stay apart."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "fulfillbot_http_requests",
            "HTTP requests served, by route and status code",
            ["route", "status"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "fulfillbot_handler_seconds",
            "Time to handle (and acknowledge) a Slack request, by request type",
            ["kind"],
            registry=self.registry,
        )
        self.events_deduplicated = Counter(
            "fulfillbot_events_deduplicated",
            "Inbound events, webhooks and scheduled steps skipped because they had their effect already",
            ["source"],
            registry=self.registry,
        )
        self.lease_holder = Gauge(
            "fulfillbot_scheduler_lease_holder",
            "1 while this process holds the scheduler lease",
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "fulfillbot_scheduled_job_seconds",
            "Time a scheduled job took on one tick",
            ["job"],
            registry=self.registry,
        )
        self.job_failures = Counter(
            "fulfillbot_scheduled_job_failures",
            "Scheduled job runs that raised",
            ["job"],
            registry=self.registry,
        )
        self.slack_api_errors = Counter(
            "fulfillbot_slack_api_errors",
            "Slack Web API calls that failed, by method and error",
            ["method", "error"],
            registry=self.registry,
        )

        self.inbox_received = Counter(
            "fulfillbot_inbox_received",
            "Events API deliveries and GitLab webhooks stored in the inbox, by source",
            ["source"],
            registry=self.registry,
        )
        self.inbox_processed = Counter(
            "fulfillbot_inbox_processed",
            "Inbox items processed, by source",
            ["source"],
            registry=self.registry,
        )
        self.inbox_failed = Counter(
            "fulfillbot_inbox_failed",
            "Inbox items that failed for good, by source and outcome (parked or dropped)",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.outbox_delivered = Counter(
            "fulfillbot_outbox_delivered",
            "Effects delivered, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.outbox_failed = Counter(
            "fulfillbot_outbox_failed",
            "Effects that failed for good, by kind and outcome (parked or dropped)",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.outbox_rate_limited = Counter(
            "fulfillbot_outbox_rate_limited",
            "Slack calls answered 429, by method",
            ["method"],
            registry=self.registry,
        )
        self.delivery_seconds = Histogram(
            "fulfillbot_delivery_seconds",
            "Time one effect's delivery took, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.events_rate_limited = Counter(
            "fulfillbot_events_rate_limited",
            "app_rate_limited notices from Slack: event deliveries to the bot are being dropped",
            registry=self.registry,
        )
        self.parked = Gauge(
            "fulfillbot_parked",
            "Inbox items and outbox effects parked after their retries, waiting for `fulfillbot parked`",
            ["store"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
