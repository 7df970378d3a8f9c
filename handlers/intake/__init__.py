"""``/intake``: a modal whose answers become an issue in the intake project, written into the
project's own ``intake`` issue template."""

from handlers.intake import listeners, senders
from slackbot.capability import Capability, Command
from slackbot.context import BotContext


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    senders.register(ctx)


CAPABILITY = Capability(
    name="intake",
    register=register,
    commands=(Command("/intake", "intake requests filed in the intake project"),),
)
