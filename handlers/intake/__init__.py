"""``/intake``: a modal whose answers become an issue in the intake project, written into the
project's own ``intake`` issue template."""

from handlers.intake import listeners, senders
from handlers.intake.config import IntakeSection
from slackbot.capability import Capability, Command
from slackbot.context import BotContext


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    senders.register(ctx)


CAPABILITY = Capability(
    name="intake",
    register=register,
    sections=(IntakeSection,),
    commands=(Command("/intake", "intake requests filed in the intake project"),),
)
