"""The python-gitlab client, or None when GitLab is not configured (features say so at start)."""

import gitlab

from slackbot.config import Settings


def make_gitlab(settings: Settings) -> gitlab.Gitlab | None:
    """No retries inside a call: scheduled work retries on its next turn, and a person gets a clear
    error at once instead of a minute of backoff."""
    if not settings.gitlab_token:
        return None
    return gitlab.Gitlab(
        settings.gitlab_url.rstrip("/"),
        private_token=settings.gitlab_token,
        timeout=15,
        retry_transient_errors=False,
    )
