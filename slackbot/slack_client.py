"""The Slack Web API client: real ``WebClient``, configurable base URL, retries, error metrics."""

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.web import SlackResponse

from slackbot.metrics import Metrics


class InstrumentedWebClient(WebClient):
    """Counts failed calls per method so a broken scope or a rate limit shows in /metrics."""

    metrics: Metrics | None = None

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
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


def make_web_client(token: str, base_url: str, metrics: Metrics | None = None) -> InstrumentedWebClient:
    """Retries connection errors, 429 (after its Retry-After) and 5xx a few times before giving up."""
    if not base_url.endswith("/"):
        base_url += "/"
    client = InstrumentedWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=3),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=3),
        ],
    )
    client.metrics = metrics
    return client
