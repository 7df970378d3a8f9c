"""The monthly async retrospective: the issue filed after the 8th with what the bot saw in the
month before (each capability answers its part), and `Add to retro`, a message shortcut that adds a
Slack message to it as a comment."""

from handlers.retrospectives import jobs, listeners, senders
from handlers.retrospectives.config import RetrospectivesSection
from slackbot.capability import Capability
from slackbot.context import BotContext


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    senders.register(ctx)
    jobs.register(ctx)


CAPABILITY = Capability(name="retrospectives", register=register, sections=(RetrospectivesSection,))
