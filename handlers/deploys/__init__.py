"""The deploy train: CustomersDot's CD (staging, E2E, production after a delay) as one message per
pipeline of ``[deploys] ref``, with `Block` (a production::blocker) and `Expedite` (the delayed
production job run now), and ``/deploys``."""

from functools import partial

from handlers.deploys import jobs, listeners, retro, senders
from handlers.deploys.config import DeploysSection
from handlers.retrospectives import api as retrospectives
from slackbot.capability import Capability, Command
from slackbot.context import BotContext


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    senders.register(ctx)
    jobs.register(ctx)
    seen: retrospectives.Seen = partial(retro.seen, ctx.config.section(DeploysSection), ctx.zone)
    ctx.providers.provide(retrospectives.DEPLOYS, seen)


CAPABILITY = Capability(
    name="deploys",
    register=register,
    sections=(DeploysSection,),
    commands=(Command("/deploys", "deploy trains to production and production change locks"),),
)
