"""The App Home tab: what concerns the person now, from every capability's section."""

from handlers.home import listeners, senders, service
from slackbot.capability import Capability
from slackbot.context import BotContext
from slackbot.home import HomeChanged


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    senders.register(ctx)
    ctx.signals.connect(HomeChanged, service.changed)


CAPABILITY = Capability(name="home", register=register, events=("app_home_opened",))
