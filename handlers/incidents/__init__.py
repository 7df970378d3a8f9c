"""Incidents: declared from Slack or by a probe alert, paged up the escalation chain until someone
acknowledges, with a timeline shown on resolve."""

from handlers.incidents import charts, jobs, listeners, messages, retro, senders, service
from handlers.incidents.config import IncidentsSection
from handlers.retrospectives import api as retrospectives
from slackbot.capability import Capability, Command
from slackbot.context import BotContext

HOME_ORDER = 30


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    senders.register(ctx)
    jobs.register(ctx)
    ctx.providers.provide(retrospectives.INCIDENTS, retro.seen)
    ctx.charts.register(charts.NAME, charts.render)
    ctx.home.add(HOME_ORDER, lambda session, _user, now: messages.home_section(service.open_incidents(session), now))


CAPABILITY = Capability(
    name="incidents",
    register=register,
    sections=(IncidentsSection,),
    commands=(Command("/incident", "declare and run incidents with escalation paging"),),
)
