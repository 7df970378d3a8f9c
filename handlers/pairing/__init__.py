"""``/pair``: pair-programming requests in the engineering channel, claimed with `I'll pair`."""

from handlers.pairing import jobs, listeners, messages, service
from handlers.pairing.config import PairingSection
from slackbot.capability import Capability, Command
from slackbot.context import BotContext

HOME_ORDER = 40


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    jobs.register(ctx)
    ctx.home.add(
        HOME_ORDER, lambda session, user, now: messages.home_section(service.open_requests_of(session, user), now)
    )


CAPABILITY = Capability(
    name="pairing",
    register=register,
    sections=(PairingSection,),
    commands=(Command("/pair", "pair-programming requests in the engineering channel"),),
)
