"""On-call state changes and what they decide to send. The schedule comes from ``schedule`` (the
config); overrides, swaps and cover requests are rows, and each handoff and away warning is a
row claimed once, so a restart or a missed tick neither skips nor repeats one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.incidents import api as incidents
from handlers.oncall import messages
from handlers.oncall.config import Rotation
from handlers.oncall.models import OncallCoverRequest, OncallHandoff, OncallOverride, OncallSwap
from handlers.oncall.schedule import Cover, Plan, Segment, Shift, next_shift_of, on_call, reach, segments, shifts
from handlers.standups import api as standups
from handlers.status import api as status
from slackbot.effects import Effect
from slackbot.work import Work


@dataclass(frozen=True)
class SyncUsergroup(Effect):
    """The rotation's user group holds exactly ``users`` (a newer pending one replaces it)."""

    KIND: ClassVar[str] = "oncall.usergroup"
    handle: str
    users: list[str]


WARN_AHEAD = timedelta(days=7)
HANDOFF_GRACE = timedelta(days=1)  # a handoff missed for longer (the bot was down) is not announced late

ZoneOf = Callable[[Session, str], ZoneInfo]


@dataclass(frozen=True)
class Availability:
    """Where people are and when they are away: their timezone, their `/standup away` ranges and
    the team's holidays."""

    holidays: frozenset[date]
    zone_of: ZoneOf

    def days_away(self, session: Session, user: str, start: datetime, end: datetime) -> list[date]:
        """The person's own dates in [start, end) on which they are away."""
        zone, away = self.zone_of(session, user), standups.away_on(session, user, self.holidays)
        first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
        return [d for d in (first + timedelta(days=k) for k in range((last - first).days + 1)) if away(d)]

    def is_away_at(self, session: Session, user: str, at: datetime) -> bool:
        return standups.away_on(session, user, self.holidays)(at.astimezone(self.zone_of(session, user)).date())


def covers(session: Session, rotation: str, start: datetime, end: datetime) -> list[Cover]:
    rows = session.scalars(
        select(OncallOverride).where(
            OncallOverride.rotation == rotation,
            OncallOverride.cancelled_at.is_(None),
            OncallOverride.ends_at > start,
            OncallOverride.starts_at < end,
        )
    )
    return [Cover(r.id, r.user_id, r.starts_at, r.ends_at) for r in rows]


def timeline(session: Session, plan: Plan, start: datetime, end: datetime) -> list[Segment]:
    return segments(plan, covers(session, plan.name, start, end), start, end)


def now_and_next(session: Session, plan: Plan, now: datetime) -> tuple[Segment | None, Segment | None]:
    ahead = timeline(session, plan, now, now + timedelta(days=plan.length_days * len(plan.users) + 1))
    current = ahead[0] if ahead and ahead[0].start == now else None
    following = next((s for s in ahead if s.start > now and (current is None or s.user != current.user)), None)
    return current, following


def who(session: Session, plan: Plan, at: datetime) -> Segment | None:
    begin, horizon = reach(plan, covers(session, plan.name, at, at + timedelta(microseconds=1)), at)
    return on_call(plan, covers(session, plan.name, begin, horizon), at)


def pageable(session: Session, plan: Plan, away: Availability, at: datetime) -> tuple[str | None, str]:
    """The person to page for this rotation now, and why; None when nobody is: the one on call by
    the schedule is away and no override covers them."""
    segment = who(session, plan, at)
    if segment is None:
        return None, f"nobody is on call for {plan.name}"
    if segment.override is None and away.is_away_at(session, segment.user, at):
        return None, f"nobody is on call for {plan.name}: <@{segment.user}> is away and nobody covered"
    return segment.user, f"on call for {plan.name}"


def add_override(
    work: Work, plan: Plan, user: str, start: datetime, end: datetime, by: str, reason: str
) -> OncallOverride:
    row = OncallOverride(
        rotation=plan.name,
        user_id=user,
        starts_at=start,
        ends_at=end,
        created_by=by,
        created_at=work.now,
        reason=reason,
        cancelled_at=None,
    )
    work.session.add(row)
    work.session.flush()
    return row


def upcoming_overrides(session: Session, now: datetime) -> list[OncallOverride]:
    query = (
        select(OncallOverride)
        .where(OncallOverride.cancelled_at.is_(None), OncallOverride.ends_at > now)
        .order_by(OncallOverride.starts_at, OncallOverride.id)
    )
    return list(session.scalars(query))


def lock_override(session: Session, override_id: int) -> OncallOverride | None:
    """The override, locked, while it is not cancelled."""
    row = session.scalar(select(OncallOverride).where(OncallOverride.id == override_id).with_for_update())
    return row if row is not None and row.cancelled_at is None else None


def cancel_override(work: Work, row: OncallOverride) -> str:
    row.cancelled_at = work.now
    return f"Override {row.id} is cancelled: <@{row.user_id}> no longer covers {row.rotation}."


def propose_swap(work: Work, plan: Plan, proposer: str, target: str, zone: ZoneInfo) -> str:
    """Offer the proposer's next shift to ``target`` (in their ``zone``), for theirs in return."""
    given = next_shift_of(plan, proposer, work.now)
    if given is None:
        return f"You have no upcoming shift in {plan.name} to swap."
    if target == proposer:
        return "Name someone else to swap with."
    taken = next_shift_of(plan, target, work.now)
    swap = OncallSwap(
        rotation=plan.name,
        proposer=proposer,
        target=target,
        proposer_shift=given.start,
        target_shift=taken.start if taken is not None else None,
        state="proposed",
        created_at=work.now,
    )
    work.session.add(swap)
    work.session.flush()
    text, blocks = messages.swap_offer(swap, given, taken, zone)
    work.slack.post(target, text, blocks, ref=f"oncall-swap:{swap.id}")
    return f"Asked <@{target}> to swap: they get a DM with an `Accept` button."


def lock_swap(session: Session, value: str) -> OncallSwap | None:
    if not value.isdigit():
        return None
    return session.scalar(select(OncallSwap).where(OncallSwap.id == int(value)).with_for_update())


def accept_swap(work: Work, plan: Plan, swap: OncallSwap, user: str) -> str | None:
    if user != swap.target:
        return f"This swap was offered to <@{swap.target}>."
    if swap.state != "proposed":
        return "You already accepted this swap."
    given = _shift_at(plan, swap.proposer_shift)
    add_override(work, plan, swap.target, given.start, given.end, user, "swap")
    if swap.target_shift is not None:
        taken = _shift_at(plan, swap.target_shift)
        add_override(work, plan, swap.proposer, taken.start, taken.end, user, "swap")
    swap.state = "accepted"
    text, blocks = messages.swap_accepted(swap)
    work.slack.update(f"oncall-swap:{swap.id}", text, blocks)
    work.slack.post(swap.proposer, text)
    return None


def _shift_at(plan: Plan, start: datetime) -> Shift:
    return plan.shift(plan.shift_index(start))


# ----- handoffs ---------------------------------------------------------------------------------------


def handoff_due(session: Session, plan: Plan, now: datetime) -> Segment | None:
    """The stretch on call now, if its handoff has not been done yet and is not long past."""
    current = who(session, plan, now)
    if current is None or now - current.start > HANDOFF_GRACE:
        return None
    done = session.scalar(
        select(OncallHandoff.id).where(OncallHandoff.rotation == plan.name, OncallHandoff.starts_at == current.start)
    )
    return current if done is None else None


def claim_handoff(work: Work, plan: Plan) -> tuple[Segment, Segment | None] | None:
    """Claim the due handoff (the claim commits with its effects): the stretch on call now and the
    one before it."""
    current = handoff_due(work.session, plan, work.now)
    if current is None:
        return None
    work.session.add(
        OncallHandoff(rotation=plan.name, starts_at=current.start, user_id=current.user, handed_over_at=work.now)
    )
    work.session.flush()
    before = timeline(work.session, plan, current.start - timedelta(seconds=1), current.start)
    return current, before[-1] if before else None


def hand_over(
    work: Work,
    rotation: Rotation,
    plan: Plan,
    current: Segment,
    previous: Segment | None,
    announce_channel: str | None,
    people: Availability,
) -> None:
    """The DMs to the incoming and outgoing person, and the announcement."""
    if previous is not None and previous.user == current.user:
        return
    brief = messages.briefing(incidents.open_incidents(work.session), status.probes_down(work.session))
    zone_in = people.zone_of(work.session, current.user)
    work.slack.post(current.user, messages.incoming(rotation.name, current, zone_in, brief))
    if previous is not None:
        zone_out = people.zone_of(work.session, previous.user)
        work.slack.post(previous.user, messages.outgoing(rotation.name, current, zone_out, brief))
    if announce_channel:
        work.slack.post(announce_channel, messages.announcement(rotation.name, current, plan.zone))


def sync_usergroup(work: Work, rotation: Rotation, user: str) -> None:
    """The rotation's user group holds only ``user`` (the latest pending update wins)."""
    effect = SyncUsergroup(rotation.usergroup, [user])
    work.out.add_effect(effect, lane=f"usergroup:{rotation.usergroup}", coalesce=rotation.usergroup)


# ----- away warnings and cover ----------------------------------------------------------------------


def shifts_to_warn(plan: Plan, now: datetime) -> list[Shift]:
    """Shifts that start within a week (or are running) and are not over."""
    return [s for s in shifts(plan, now, now + WARN_AHEAD) if s.end > now]


def away_days_unwarned(session: Session, plan: Plan, shift: Shift, away: Availability, now: datetime) -> list[date]:
    """The days ``shift``'s person is away during what is left of it, unless they were warned."""
    days = away.days_away(session, shift.user, max(shift.start, now), shift.end)
    return days if days and not _already_warned(session, plan.name, shift) else []


def warn_if_away(
    work: Work, plan: Plan, shift: Shift, away: Availability, admins: Sequence[str]
) -> OncallCoverRequest | None:
    """One warning per shift and person away for part of it, to them and the admins."""
    days = away_days_unwarned(work.session, plan, shift, away, work.now)
    if not days:
        return None
    zone = away.zone_of(work.session, shift.user)
    away_from = max(shift.start, _midnight(days[0], zone), work.now)
    away_until = min(shift.end, _midnight(days[-1] + timedelta(days=1), zone))
    request = OncallCoverRequest(
        rotation=plan.name,
        shift_start=shift.start,
        user_id=shift.user,
        away_from=away_from,
        away_until=away_until,
        state="warned",
        covered_by=None,
        warned_at=work.now,
    )
    work.session.add(request)
    work.session.flush()
    for person in dict.fromkeys([shift.user, *admins]):
        work.slack.post(person, *messages.away_warning(request, days, away.zone_of(work.session, person)))
    return request


def _already_warned(session: Session, rotation: str, shift: Shift) -> bool:
    found = session.scalar(
        select(OncallCoverRequest.id).where(
            OncallCoverRequest.rotation == rotation,
            OncallCoverRequest.shift_start == shift.start,
            OncallCoverRequest.user_id == shift.user,
        )
    )
    return found is not None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), zone)


def lock_cover(session: Session, value: str) -> OncallCoverRequest | None:
    if not value.isdigit():
        return None
    return session.scalar(select(OncallCoverRequest).where(OncallCoverRequest.id == int(value)).with_for_update())


def ask_for_cover(work: Work, request: OncallCoverRequest, channel_id: str, by: str, zone: ZoneInfo) -> str:
    if request.state == "covered":
        return f"<@{request.covered_by}> already covers this shift."
    if request.state == "asked":
        return "Cover is already asked for in the engineering channel."
    request.state = "asked"
    work.slack.post(channel_id, *messages.cover_request(request, by, zone), ref=request.ref)
    return f"Asked for cover in <#{channel_id}>."


def take_cover(work: Work, plan: Plan, request: OncallCoverRequest, user: str) -> str | None:
    if request.state == "covered":
        return f"Already covered by <@{request.covered_by}>."
    if user == request.user_id:
        return "That is your own shift: someone else has to cover it."
    add_override(work, plan, user, request.away_from, request.away_until, user, "cover")
    request.state, request.covered_by = "covered", user
    text, blocks = messages.cover_taken(request, plan.zone)
    work.slack.update(request.ref, text, blocks)
    work.slack.post(request.user_id, text)
    return None
