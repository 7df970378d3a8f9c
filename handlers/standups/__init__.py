"""Daily standups in the daily channel: a prompt at each person's local time, answers in a modal,
one reply per person in the day's thread, one reminder, and a summary with the blockers."""

from datetime import datetime

from sqlalchemy.orm import Session

from handlers.standups import charts, jobs, listeners, messages, schedule
from handlers.standups.config import StandupsSection
from handlers.standups.models import StandupEntry
from slackbot.capability import Capability, Command
from slackbot.context import BotContext
from slackbot.home import Blocks

HOME_ORDER = 20


def register(ctx: BotContext) -> None:
    standups = listeners.register(ctx)
    jobs.register(ctx)
    ctx.charts.register(charts.NAME, charts.render)
    settings = ctx.config.section(StandupsSection)
    members = set(standups.members)

    def home_section(session: Session, user_id: str, now: datetime) -> Blocks:
        if user_id not in members:
            return messages.home_section(None, None, settings)
        today = schedule.local_day(now, ctx.directory.timezones(session, [user_id])[user_id])
        return messages.home_section(today, session.get(StandupEntry, (user_id, today)), settings)

    ctx.home.add(HOME_ORDER, home_section)


CAPABILITY = Capability(
    name="standups",
    register=register,
    sections=(StandupsSection,),
    commands=(Command("/standup", "daily standups in the daily channel"),),
)
