"""The baseline for ``bench_events.py``: a bare Bolt app that acknowledges message events and does
nothing else, served as WSGI the way the bot is (``gunicorn bench.bare_bolt:app``)."""

import os

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

bolt = App(
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    token_verification_enabled=False,
)


@bolt.event("message")
def on_message() -> None:
    """Acknowledged by Bolt; nothing to do."""


@bolt.event("reaction_added")
def on_reaction() -> None:
    """Acknowledged by Bolt; nothing to do."""


@bolt.command("/fulfillment")
def on_command(ack: Ack) -> None:
    ack("ok")


app = SlackRequestHandler(bolt)
