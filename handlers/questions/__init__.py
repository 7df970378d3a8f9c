"""Question tracking in the questions channel: every question is followed until it gets a ✅."""

from handlers.questions import charts, jobs, listeners, messages, retro, service
from handlers.questions.config import QuestionsSection
from handlers.retrospectives import api as retrospectives
from slackbot.capability import Capability, Command
from slackbot.context import BotContext

HOME_ORDER = 10


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    jobs.register(ctx)
    ctx.providers.provide(retrospectives.QUESTIONS, retro.seen)
    ctx.charts.register(charts.NAME, charts.render)
    ctx.home.add(HOME_ORDER, lambda session, user, now: messages.home_section(service.asked_by(session, user), now))


CAPABILITY = Capability(
    name="questions",
    register=register,
    sections=(QuestionsSection,),
    commands=(
        Command(
            "/fulfillment", "questions asked in the questions channel, their stats, and the status of our services"
        ),
    ),
    events=("message.channels", "reaction_added", "reaction_removed"),
)
