"""The Slack Web API client: the real ``WebClient``, a configurable base URL, error metrics, and a
refusal to call Slack while the calling thread holds a write transaction.

The outbox's client never retries or sleeps inside a call: a 429 or a 5xx comes back to the
outbox, which puts the row back in line and goes on with the rest. Calls made in a request (a
modal opened with a 3-second ``trigger_id``) or at start retry a refused connection once.
"""

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.web import SlackResponse

from slackbot.db import refuse_in_write_transaction
from slackbot.metrics import Metrics

CALL_TIMEOUT = 10  # seconds; well inside the scheduler lease, so a slow Slack never outlives it


class InstrumentedWebClient(WebClient):
    """Counts failed calls per method so a broken scope or a rate limit shows in /metrics."""

    metrics: Metrics | None = None

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        refuse_in_write_transaction(f"Slack {api_method}")
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            if self.metrics is not None:
                self.metrics.slack_api_errors.labels(api_method, str(exc.response.get("error", "unknown"))).inc()
            raise
        except Exception as exc:
            if self.metrics is not None:
                self.metrics.slack_api_errors.labels(api_method, type(exc).__name__).inc()
            raise


def make_web_client(
    token: str, base_url: str, metrics: Metrics | None = None, retries: bool = True
) -> InstrumentedWebClient:
    if not base_url.endswith("/"):
        base_url += "/"
    client = InstrumentedWebClient(
        token=token,
        base_url=base_url,
        timeout=CALL_TIMEOUT,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)] if retries else [],
    )
    client.metrics = metrics
    return client
