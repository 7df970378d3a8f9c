"""Daily standups in the daily channel: a prompt at each person's local time, answers in a modal,
one reply per person in the day's thread, one reminder, and a summary with the blockers."""

from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from handlers.retrospectives import api as retrospectives
from handlers.standups import charts, jobs, listeners, messages, retro, schedule
from handlers.standups.config import StandupsSection, members
from handlers.standups.models import StandupEntry
from slackbot.capability import Capability, Command
from slackbot.context import BotContext
from slackbot.home import Blocks

HOME_ORDER = 20


def home_section(ctx: BotContext, session: Session, user_id: str, now: datetime) -> Blocks:
    """Today's standup of the person whose App Home this is, if they take part."""
    settings = ctx.config.section(StandupsSection)
    if user_id not in members(ctx.config):
        return messages.home_section(None, None, settings)
    today = schedule.local_day(now, ctx.directory.timezones(session, [user_id])[user_id])
    return messages.home_section(today, session.get(StandupEntry, (user_id, today)), settings)


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    jobs.register(ctx)
    seen: retrospectives.Seen = partial(retro.seen, ctx.directory)
    ctx.providers.provide(retrospectives.STANDUPS, seen)
    ctx.charts.register(charts.NAME, charts.render)
    ctx.home.add(HOME_ORDER, partial(home_section, ctx))


CAPABILITY = Capability(
    name="standups",
    register=register,
    sections=(StandupsSection,),
    commands=(Command("/standup", "daily standups in the daily channel"),),
)
