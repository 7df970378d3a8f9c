"""On-call state. The schedule itself is never stored (it is computed from the config); what is
stored is what people changed (overrides, swaps, cover requests) and what the bot has done once
(a handoff, an away warning), so a restart or a missed tick does not do it again."""

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class OncallOverride(Base):
    """``user_id`` is on call for ``rotation`` over [starts_at, ends_at) instead of the schedule."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_upcoming", "rotation", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(32))  # override, swap, cover
    cancelled_at: Mapped[datetime | None]


class OncallSwap(Base):
    """``proposer`` offers to trade their next shift for ``target``'s next one; open until accepted."""

    __tablename__ = "oncall_swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation: Mapped[str] = mapped_column(String(64))
    proposer: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(32))
    proposer_shift: Mapped[datetime]  # the start of the shift the proposer gives away
    target_shift: Mapped[datetime | None]  # the one they take in return (None: the target has none)
    state: Mapped[str] = mapped_column(String(16))  # proposed, accepted
    created_at: Mapped[datetime]


class OncallHandoff(Base):
    """One per stretch of on-call time that began: its DMs, announcement and user-group sync were
    decided with this row."""

    __tablename__ = "oncall_handoffs"
    __table_args__ = (UniqueConstraint("rotation", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    user_id: Mapped[str] = mapped_column(String(32))
    handed_over_at: Mapped[datetime]


class OncallCoverRequest(Base):
    """Someone is away during part of a shift: warned once; `Find cover` posts a request, and the
    first `I'll cover` gets an override for the days away."""

    __tablename__ = "oncall_cover_requests"
    __table_args__ = (UniqueConstraint("rotation", "shift_start", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation: Mapped[str] = mapped_column(String(64))
    shift_start: Mapped[datetime]
    user_id: Mapped[str] = mapped_column(String(32))
    away_from: Mapped[datetime]
    away_until: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # warned, asked, covered
    covered_by: Mapped[str | None] = mapped_column(String(32))
    warned_at: Mapped[datetime]

    @property
    def ref(self) -> str:
        """The request for cover in the engineering channel."""
        return f"oncall-cover:{self.id}"
