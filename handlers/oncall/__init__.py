"""``/oncall``: rotations computed from the config, overrides and swaps, handoffs with DMs, an
announcement and a user group that follows the rotation, and cover found for shifts people are
away for. Escalation levels with ``oncall = "ROTATION"`` page whoever is on call (``answer_on_call``)."""

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from handlers.incidents import api as incidents
from handlers.oncall import jobs, listeners, messages, senders, service
from handlers.oncall.config import OncallSection
from handlers.oncall.rotations import availability, plans
from slackbot.capability import Capability, Command
from slackbot.context import BotContext
from slackbot.home import Blocks

HOME_ORDER = 25
HOME_AHEAD = timedelta(weeks=8)
HOME_SHIFTS = 3


def answer_on_call(ctx: BotContext, session: Session, rotation: str, at: datetime) -> incidents.OnCall:
    """Who an escalation level with ``oncall = NAME`` pages at the moment it runs, overrides and
    away days included."""
    plan = plans(ctx).get(rotation)
    if plan is None:
        return incidents.OnCall(None, f"there is no rotation {rotation}")
    return incidents.OnCall(*service.pageable(session, plan, availability(ctx), at))


def home_section(ctx: BotContext, session: Session, user: str, now: datetime) -> Blocks:
    """The next few shifts of the person whose App Home this is."""
    mine = [
        (name, s)
        for name, plan in plans(ctx).items()
        for s in service.timeline(session, plan, now, now + HOME_AHEAD)
        if s.user == user
    ]
    zone = availability(ctx).zone_of(session, user)
    return messages.home_section(sorted(mine, key=lambda m: m[1].start)[:HOME_SHIFTS], zone)


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    senders.register(ctx)
    jobs.register(ctx)
    on_call: incidents.WhoIsOnCall = partial(answer_on_call, ctx)
    ctx.providers.provide(incidents.ON_CALL, on_call)
    if ctx.config.section(OncallSection).rotations:
        ctx.home.add(HOME_ORDER, partial(home_section, ctx))


CAPABILITY = Capability(
    name="oncall",
    register=register,
    sections=(OncallSection,),
    commands=(Command("/oncall", "who is on call, overrides, swaps and handoffs of the rotations"),),
)
