"""``/blocker``: a ``production::blocker`` issue in the app project stops auto-deploy to production
(the handbook's way); ``/blocker lift`` closes it. Both are announced in the status channel."""

from handlers.blockers import listeners, retro, senders
from handlers.blockers.config import BlockersSection
from handlers.retrospectives import api as retrospectives
from slackbot.capability import Capability, Command
from slackbot.context import BotContext


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    senders.register(ctx)
    ctx.providers.provide(retrospectives.BLOCKERS, retro.seen)


CAPABILITY = Capability(
    name="blockers",
    register=register,
    sections=(BlockersSection,),
    commands=(Command("/blocker", "production blockers that stop auto-deploy"),),
)
