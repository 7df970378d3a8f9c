"""Logging set-up with a filter that keeps tokens and secrets out of every log line."""

import logging
import re
from collections.abc import Iterable

TOKEN_PATTERN = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|glpat-[A-Za-z0-9_-]+)")
# A response_url (and any webhook URL of Slack's) lets whoever holds it answer as the bot: its path is
# a credential. slack_sdk logs whole URLs at DEBUG.
WEBHOOK_PATH = re.compile(r"(https?://[^/\s'\"]*(?:hooks\.slack\.com|/response)/)[^\s'\"]+")
REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Rewrites each record's final message with known secret values and token shapes masked."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return WEBHOOK_PATH.sub(lambda found: found[1] + REDACTED, TOKEN_PATTERN.sub(REDACTED, text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.msg = self.redact(message)
        record.args = None
        return True


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Every handler on the root logger gets the redacting filter, so no library can leak a secret."""
    root = logging.getLogger()
    if not root.handlers:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
    root.setLevel(getattr(logging, level, logging.INFO))
    redactor = RedactSecrets(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
