"""One module per capability; each ``register(app, ctx)`` adds its listeners, commands and jobs."""

from slack_bolt import App

from handlers import (
    async_updates,
    blockers,
    cadence,
    general,
    home,
    incidents,
    intake,
    pairing,
    questions,
    standups,
    status,
)
from slackbot.app import BotContext

CAPABILITIES = [
    general,
    standups,
    questions,
    status,
    incidents,
    blockers,
    intake,
    pairing,
    async_updates,
    cadence,
    home,
]

COMMANDS = {
    "/fulfillment": "questions asked in the questions channel, their stats, and the status of our services",
    "/standup": "daily standups in the daily channel",
    "/incident": "declare and run incidents with escalation paging",
    "/blocker": "production blockers that stop auto-deploy",
    "/intake": "intake requests filed in the intake project",
    "/pair": "pair-programming requests in the engineering channel",
}


def register_all(app: App, ctx: BotContext) -> None:
    for command, summary in COMMANDS.items():
        ctx.commands.router(command, summary)
    for capability in CAPABILITIES:
        capability.register(app, ctx)
