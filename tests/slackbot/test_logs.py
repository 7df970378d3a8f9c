import io
import logging

from slackbot.logs import REDACTED, RedactSecrets, configure_logging


def test_known_secrets_and_token_shapes_are_masked() -> None:
    redactor = RedactSecrets(["s3cret-signing", "hook-secret-value"])
    line = redactor.redact(
        "token xoxb-1234-5678-abcdef secret s3cret-signing app xapp-1-A0-99 "
        "gitlab glpat-abcDEF_123 hook hook-secret-value"
    )
    assert line == f"token {REDACTED} secret {REDACTED} app {REDACTED} gitlab {REDACTED} hook {REDACTED}"


def test_response_urls_are_masked_as_credentials() -> None:
    """slack_sdk logs whole URLs at DEBUG; a response_url lets whoever holds it answer as the bot."""
    redactor = RedactSecrets()
    line = redactor.redact(
        "Sending a request - url: https://hooks.slack.com/commands/T0ABC/1234/s3cr3tPart, body: {...}; "
        "'http://127.0.0.1:8080/response/R00000042' and https://hooks.slack.com/actions/T0/99/xyz"
    )
    assert "s3cr3tPart" not in line and "R00000042" not in line and "xyz" not in line
    assert f"https://hooks.slack.com/{REDACTED}" in line and f"http://127.0.0.1:8080/response/{REDACTED}" in line


def test_every_log_line_and_traceback_goes_through_the_filter() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        configure_logging("INFO", ["hunter2-signing-secret"])
        logger = logging.getLogger("some.library")
        logger.info("calling with %s and %s", "xoxb-999-888-zzz", "hunter2-signing-secret")
        try:
            raise ValueError("bad token xoxb-999-888-zzz")
        except ValueError:
            logger.exception("failed")
    finally:
        root.removeHandler(handler)
    output = stream.getvalue()
    assert "calling with [redacted] and [redacted]" in output
    assert "ValueError: bad token [redacted]" in output
    assert "xoxb-999" not in output
    assert "hunter2" not in output
