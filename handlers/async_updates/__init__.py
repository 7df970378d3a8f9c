"""The weekly async issue update reminder."""

from handlers.async_updates import jobs, messages, service
from handlers.async_updates.config import AsyncUpdatesSection
from slackbot.capability import Capability
from slackbot.context import BotContext

HOME_ORDER = 50


def register(ctx: BotContext) -> None:
    jobs.register(ctx)
    ctx.home.add(HOME_ORDER, lambda session, user, _now: messages.home_section(service.latest(session, user)))


CAPABILITY = Capability(name="async_updates", register=register, sections=(AsyncUpdatesSection,))
