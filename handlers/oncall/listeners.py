"""``/oncall`` from Slack, and the `Accept`, `Find cover` and `I'll cover` buttons."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.oncall import calendar, messages, service
from handlers.oncall.config import OncallSection, Rotation
from handlers.oncall.models import OncallCoverRequest, OncallOverride
from handlers.oncall.rotations import availability, plans
from handlers.oncall.schedule import Plan
from handlers.status_page import api as status_page
from slackbot.access import Rule
from slackbot.commands import CommandCall, UsageError, whole_number
from slackbot.context import BotContext
from slackbot.edge import Answer
from slackbot.interactions import Click
from slackbot.mrkdwn import mentioned_user, plain
from slackbot.pages import PageRequest
from slackbot.work import Work

SCHEDULE_WEEKS, SCHEDULE_WEEKS_MAX = 4, 26
CALENDAR_BACK, CALENDAR_AHEAD = timedelta(weeks=2), timedelta(weeks=12)
MEMBER = "oncall.member"  # about a rotation's name
OVERRIDE_PARTY = "oncall.override_party"  # about an override: its author and the person it puts on call
CHANGE = Rule("change a rotation's overrides and swaps", "the rotation's members", (MEMBER,))
CANCEL = Rule("cancel an override", "its author or the person it puts on call", (OVERRIDE_PARTY,))
COVER = Rule("cover a shift", "the rotation's members", (MEMBER,))


def user_argument(token: str) -> str:
    """A person named in a command: a mention (``<@U…>``, as Slack sends it) or a bare user ID."""
    user = mentioned_user(token)
    if user is None:
        raise UsageError(f"`{token}` is not a person: mention them, like @james.")
    return user


def instant_argument(token: str, zone: ZoneInfo, end: bool) -> datetime:
    """``2026-12-07`` (the start of that day, or with ``end`` the end of it) or ``2026-12-07T10:00``,
    in the rotation's timezone."""
    try:
        if "T" in token or ":" in token:
            moment = datetime.fromisoformat(token)
            return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
        day = date.fromisoformat(token) + timedelta(days=1 if end else 0)
        return datetime.combine(day, datetime.min.time(), zone).astimezone(UTC)
    except ValueError:
        raise UsageError(f"`{token}` is not a date or time: use 2026-12-07 or 2026-12-07T10:00.") from None


def zone(ctx: BotContext, user: str) -> ZoneInfo:
    with ctx.db.reading() as session:
        return availability(ctx).zone_of(session, user)


def find_rotation(ctx: BotContext, name: str) -> tuple[Rotation, Plan]:
    section = ctx.config.section(OncallSection)
    rotation = section.rotation(name)
    if rotation is None:
        known = ", ".join(f"`{r.name}`" for r in section.rotations) or "none are configured"
        raise UsageError(f"There is no rotation `{name}` (rotations: {known}).")
    return rotation, plans(ctx)[name]


def on_call_candidate(ctx: BotContext, rotation: Rotation, token: str, asked_by: str) -> str:
    """The person a command puts on call: an active human member of the workspace and, unless an
    admin asks, one of the rotation's members (asked of Slack before any unit of work)."""
    user = user_argument(token)
    if user not in rotation.users and not ctx.access.is_admin(asked_by):
        raise UsageError(f"<@{user}> is not in the rotation {rotation.name}; only an admin can put them on call.")
    if not ctx.access.people.is_active_human(user):
        raise UsageError(f"`{token}` is not an active person in this workspace.")
    return user


def show(ctx: BotContext, call: CommandCall) -> str:
    if call.text.strip():
        raise UsageError(f"I don't know `{call.text.strip()}`.")
    now = ctx.clock.now()
    with ctx.db.reading() as session:
        rows = [(plan, *service.now_and_next(session, plan, now)) for plan in plans(ctx).values()]
    return messages.overview(rows, zone(ctx, call.user_id))


def schedule(ctx: BotContext, call: CommandCall) -> str:
    words = call.text.split()
    if not 1 <= len(words) <= 2:
        raise UsageError("Usage: `/oncall schedule ROTATION [weeks]`.")
    _rotation, plan = find_rotation(ctx, words[0])
    weeks = whole_number(words[1] if len(words) == 2 else "", "number of weeks", SCHEDULE_WEEKS, SCHEDULE_WEEKS_MAX)
    now = ctx.clock.now()
    with ctx.db.reading() as session:
        ahead = service.timeline(session, plan, now, now + timedelta(weeks=weeks))
    return messages.schedule(plan, ahead, zone(ctx, call.user_id), weeks)


def override(ctx: BotContext, call: CommandCall) -> str:
    words = call.text.split()
    if words[:1] == ["cancel"]:
        return cancel(ctx, call, words[1:])
    if len(words) != 4:
        raise UsageError(messages.USAGE_OVERRIDE)
    rotation, plan = find_rotation(ctx, words[0])
    ctx.access.require(CHANGE, call.user_id, rotation.name)
    user = on_call_candidate(ctx, rotation, words[1], call.user_id)
    start, end = instant_argument(words[2], plan.zone, end=False), instant_argument(words[3], plan.zone, end=True)
    if end <= start:
        raise UsageError(f"The override must end after it starts ({words[2]} → {words[3]}).")
    with ctx.work() as work:
        row = service.add_override(work, plan, user, start, end, call.user_id, "override")
        if user != call.user_id:
            work.slack.post(user, messages.override_added(row, availability(ctx).zone_of(work.session, user)))
        return messages.override_added(row, availability(ctx).zone_of(work.session, call.user_id))


def cancel(ctx: BotContext, call: CommandCall, words: list[str]) -> str:
    if len(words) != 1 or not words[0].isdigit():
        raise UsageError("Usage: `/oncall override cancel ID` (`/oncall overrides` lists the IDs).")
    with ctx.work() as work:
        row = service.lock_override(work.session, int(words[0]))
        if row is None:
            return f"There is no override {words[0]}. `/oncall overrides` lists them."
        ctx.access.require(CANCEL, call.user_id, row, work.session)
        return service.cancel_override(work, row)


def overrides(ctx: BotContext, call: CommandCall) -> str:
    with ctx.db.reading() as session:
        rows = service.upcoming_overrides(session, ctx.clock.now())
    return messages.overrides(rows, zone(ctx, call.user_id))


def swap(ctx: BotContext, call: CommandCall) -> str:
    words = call.text.split()
    if len(words) != 2:
        raise UsageError("Usage: `/oncall swap ROTATION @user`.")
    rotation, plan = find_rotation(ctx, words[0])
    ctx.access.require(CHANGE, call.user_id, rotation.name)
    target = on_call_candidate(ctx, rotation, words[1], call.user_id)
    with ctx.work() as work:
        return service.propose_swap(work, plan, call.user_id, target, availability(ctx).zone_of(work.session, target))


def on_accept(ctx: BotContext, work: Work, click: Click) -> str | None:
    swap = service.lock_swap(work.session, click.value)
    if swap is None:
        return "That swap no longer exists."
    plan = plans(ctx).get(swap.rotation)
    if plan is None:
        return "That rotation is no longer configured."
    return service.accept_swap(work, plan, swap, click.user_id)


def cover(ctx: BotContext, work: Work, click: Click) -> tuple[OncallCoverRequest, Plan] | str:
    """The cover request a button names, locked, with its rotation; or why there is none."""
    request = service.lock_cover(work.session, click.value)
    plan = plans(ctx).get(request.rotation) if request is not None else None
    if request is None or plan is None:
        return "That shift no longer needs cover."
    return request, plan


def on_find_cover(ctx: BotContext, work: Work, click: Click) -> str | None:
    found = cover(ctx, work, click)
    if isinstance(found, str):
        return found
    request, plan = found
    return service.ask_for_cover(work, request, ctx.channel("engineering"), click.user_id, plan.zone)


def on_take_cover(ctx: BotContext, work: Work, click: Click) -> str | None:
    found = cover(ctx, work, click)
    if isinstance(found, str):
        return found
    request, plan = found
    ctx.access.require(COVER, click.user_id, plan.name, work.session)
    return service.take_cover(work, plan, request, click.user_id)


def member(ctx: BotContext, _session: Session, user: str, rotation: object) -> bool:
    found = ctx.config.section(OncallSection).rotation(rotation) if isinstance(rotation, str) else None
    return found is not None and user in found.users


def override_party(_session: Session, user: str, row: object) -> bool:
    return isinstance(row, OncallOverride) and user in (row.created_by, row.user_id)


def calendar_feed(ctx: BotContext, request: PageRequest) -> Answer:
    """``GET /oncall.ics``: the rotations' shifts from two weeks back to twelve ahead."""
    reader = status_page.reader(ctx, request)
    if not reader.allowed:
        return Answer(401, b"This calendar needs the status page's token: add ?token=...")
    now = ctx.clock.now()
    with ctx.db.reading() as session:
        shifts = [
            (name, segment)
            for name, plan in plans(ctx).items()
            for segment in service.timeline(session, plan, now - CALENDAR_BACK, now + CALENDAR_AHEAD)
        ]
        people = sorted({s.user for _, s in shifts})
        names = {u: plain(n) for u, n in ctx.directory.names(session, people).items()} if reader.names_people else None
    body = calendar.feed(shifts, names, now).encode()
    return Answer(200, body, "text/calendar; charset=utf-8", (("Cache-Control", "no-store"),))


def register(ctx: BotContext) -> None:
    ctx.pages.get("/oncall.ics", partial(calendar_feed, ctx))
    ctx.access.add_role(MEMBER, partial(member, ctx))
    ctx.access.add_role(OVERRIDE_PARTY, override_party)
    ctx.interactions.on_click(messages.ACCEPT_SWAP, partial(on_accept, ctx))
    ctx.interactions.on_click(messages.FIND_COVER, partial(on_find_cover, ctx))
    ctx.interactions.on_click(messages.TAKE_COVER, partial(on_take_cover, ctx))
    router = ctx.commands.router("/oncall")
    router.add("", partial(show, ctx), "who is on call now and next, per rotation")
    router.add("schedule", partial(schedule, ctx), "the coming shifts, overrides included", "ROTATION [weeks]")
    router.add("override", partial(override, ctx), "cover a stretch; `cancel ID` removes one", "ROTATION @user FROM TO")
    router.add("overrides", partial(overrides, ctx), "the upcoming overrides")
    router.add("swap", partial(swap, ctx), "trade your next shift with someone (they accept in a DM)", "ROTATION @user")
