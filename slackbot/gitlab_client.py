"""The python-gitlab client, or None when GitLab is not configured (features say so at start)."""

import hashlib
import hmac
import logging
from typing import Any

import gitlab

from slackbot.config import Settings
from slackbot.outbox import DeliveryError, Refused, TryAgain
from slackbot.remote import guarded_session

log = logging.getLogger(__name__)


def make_gitlab(settings: Settings) -> gitlab.Gitlab | None:
    """No retries inside a call: the outbox and the scheduled sweeps retry on their next turn."""
    if not settings.gitlab_token:
        return None
    return gitlab.Gitlab(
        settings.gitlab_url.rstrip("/"),
        private_token=settings.gitlab_token,
        timeout=15,
        retry_transient_errors=False,
        session=guarded_session("GitLab"),
    )


def issue_template(project: Any, name: str) -> str:
    """The project's issue template ``name`` (``.gitlab/issue_templates/NAME.md``); "" when the
    project has none of that name (one warning line), so the issue is filed without it."""
    try:
        return str(project.issue_templates.get(name).content)
    except gitlab.exceptions.GitlabGetError as exc:
        if exc.response_code != 404:
            raise
        log.warning("no issue template %r in %s: the issue is filed without it", name, project.get_id())
        return ""


def configured(client: gitlab.Gitlab | None) -> gitlab.Gitlab:
    """The GitLab client a delivery needs; without one (``GITLAB_TOKEN`` unset) there is nothing to
    retry: the delivery is refused for good."""
    if client is None:
        raise Refused("GitLab is not configured")
    return client


def gitlab_failure(exc: Exception) -> DeliveryError:
    """What a failed GitLab call means for its outbox row: no answer, 429 and 5xx are retried."""
    if isinstance(exc, gitlab.exceptions.GitlabError):
        code = exc.response_code
        message = f"{code or 'no answer'}: {exc.error_message}"
        return TryAgain(message) if code is None or code == 429 or code >= 500 else Refused(message)
    return TryAgain(f"no answer: {type(exc).__name__}")


def marker(secret: str, what: str) -> str:
    """What an issue the bot files is found again by (so a retry never files it twice): ``what``
    with a digest of it keyed by a secret of the bot's (its GitLab token). Nobody can plant it in
    text they give the bot, for this issue or one not filed yet."""
    digest = hmac.new(secret.encode(), what.encode(), hashlib.sha256).hexdigest()[:20]
    return f"fulfillbot-{what}-{digest}"


def user_id(client: gitlab.Gitlab, username: str) -> int:
    """The GitLab user of a username (``GET /users?username=``): refused for good when none."""
    found = client.users.list(username=username, get_all=False)
    if not found:
        raise Refused(f"GitLab has no user {username!r}")
    return int(found[0].id)


def create_issue_once(project: Any, fields: dict[str, Any], secret: str, what: str) -> Any:
    """File an issue whose description starts with the hidden ``marker`` of ``what``, or find the
    one an earlier try filed (its answer lost on the way), so a retry never files it twice."""
    found_by = marker(secret, what)
    line = f"<!-- {found_by} -->"
    wanted = {"search": found_by, "in": "description"}  # "in" is a Python keyword: passed as a dict
    found = [i for i in project.issues.list(query_parameters=wanted, get_all=False) if line in (i.description or "")]
    if found:
        return found[0]
    return project.issues.create({**fields, "description": f"{line}\n{fields.get('description', '')}"})
