"""``/oncall``: rotations computed from the config, overrides and swaps, handoffs with DMs, an
announcement and a user group that follows the rotation, and cover found for shifts people are
away for. Escalation levels with ``oncall = "ROTATION"`` page whoever is on call (``answer_on_call``)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.incidents import api as incidents
from handlers.oncall import jobs, listeners, messages, senders, service
from handlers.oncall.config import OncallSection
from handlers.oncall.schedule import Plan
from handlers.standups import api as standups
from slackbot.capability import Capability, Command
from slackbot.context import BotContext
from slackbot.home import Blocks

HOME_ORDER = 25
HOME_AHEAD = timedelta(weeks=8)
HOME_SHIFTS = 3


def availability(ctx: BotContext) -> service.Availability:
    holidays = standups.holidays(ctx.config)

    def zone_of(session: Session, user: str) -> ZoneInfo:
        return ctx.directory.timezones(session, [user])[user]

    return service.Availability(holidays, zone_of)


def answer_on_call(plans: dict[str, Plan], people: service.Availability) -> incidents.WhoIsOnCall:
    """Who an escalation level with ``oncall = NAME`` pages at the moment it runs, overrides and
    away days included."""

    def answer(session: Session, rotation: str, at: datetime) -> incidents.OnCall:
        plan = plans.get(rotation)
        if plan is None:
            return incidents.OnCall(None, f"there is no rotation {rotation}")
        return incidents.OnCall(*service.pageable(session, plan, people, at))

    return answer


def register(ctx: BotContext) -> None:
    section = ctx.config.section(OncallSection)
    people = availability(ctx)
    plans = section.plans(ctx.config.timezone)
    listeners.register(ctx, section, people)
    senders.register(ctx)
    jobs.register(ctx, section, people)
    ctx.providers.provide(incidents.ON_CALL, answer_on_call(plans, people))

    def home_section(session: Session, user: str, now: datetime) -> Blocks:
        mine = [
            (name, s)
            for name, plan in plans.items()
            for s in service.timeline(session, plan, now, now + HOME_AHEAD)
            if s.user == user
        ]
        return messages.home_section(
            sorted(mine, key=lambda m: m[1].start)[:HOME_SHIFTS], people.zone_of(session, user)
        )

    if section.rotations:
        ctx.home.add(HOME_ORDER, home_section)


CAPABILITY = Capability(
    name="oncall",
    register=register,
    sections=(OncallSection,),
    commands=(Command("/oncall", "who is on call, overrides, swaps and handoffs of the rotations"),),
)
