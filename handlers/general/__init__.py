"""Answers to people who talk to the bot itself."""

from handlers.general import listeners
from slackbot.capability import Capability

CAPABILITY = Capability(name="general", register=listeners.register, events=("app_mention", "message.im"))
