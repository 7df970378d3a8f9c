"""Health-probe state and outages, and the pipelines seen by the webhook or the poller."""

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class ProbeState(Base):
    """Where a probe stands: when it is next due, how it did, and the outage it is in, if any."""

    __tablename__ = "probe_states"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_check_at: Mapped[datetime]
    last_checked_at: Mapped[datetime | None]
    last_ok: Mapped[bool | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_latency_ms: Mapped[int | None]
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[datetime | None]
    outage_id: Mapped[int | None]
    cert_expires_at: Mapped[datetime | None]
    cert_warned_days: Mapped[list[int]] = mapped_column(JSON, default=list)


class ProbeCheck(Base):
    """One check's outcome, kept for ``[status_page] retention``: uptime is computed from these.
    ``day`` (UTC) and ``hour`` (hours since the epoch) are stored so the page aggregates with a
    plain GROUP BY on any database."""

    __tablename__ = "probe_checks"
    __table_args__ = (
        Index("ix_probe_checks_day", "day", "probe"),
        Index("ix_probe_checks_hour", "hour", "probe"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    probe: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime]
    day: Mapped[date] = mapped_column(Date)
    hour: Mapped[int]
    ok: Mapped[bool]
    latency_ms: Mapped[int | None]


class ProbeDay(Base):
    """One probe's checks on one UTC day, counted as they are recorded: the status page's strip and
    its 7- and 90-day uptime read a few hundred of these rather than every check."""

    __tablename__ = "probe_days"

    probe: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    checks: Mapped[int]
    passed: Mapped[int]


class ProbeOutage(Base):
    """An alerted outage: its message in the status channel, updated while it lasts."""

    __tablename__ = "probe_outages"

    id: Mapped[int] = mapped_column(primary_key=True)
    probe: Mapped[str] = mapped_column(String(255), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    started_at: Mapped[datetime]
    alerted_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    failures: Mapped[int]
    last_error: Mapped[str] = mapped_column(Text)
    channel_id: Mapped[str] = mapped_column(String(32))

    @property
    def alert_ref(self) -> str:
        return f"outage:{self.id}"


class PipelineRecord(Base):
    """A finished pipeline the bot has handled, whichever way it heard of it."""

    __tablename__ = "pipeline_records"

    project: Mapped[str] = mapped_column(String(255), primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ref: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    failure_ref: Mapped[str | None] = mapped_column(String(255))
    seen_at: Mapped[datetime]


class PipelineRef(Base):
    """A ref whose latest posted failure waits for a green pipeline to reply "fixed" to."""

    __tablename__ = "pipeline_refs"

    project: Mapped[str] = mapped_column(String(255), primary_key=True)
    ref: Mapped[str] = mapped_column(String(255), primary_key=True)
    failing_pipeline_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    failure_ref: Mapped[str | None] = mapped_column(String(255))


class HeartbeatState(Base):
    """When a heartbeat last checked in, and since when the bot watches it (a check-in due before
    that is not held against it)."""

    __tablename__ = "heartbeat_states"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    watched_since: Mapped[datetime]
    last_check_in_at: Mapped[datetime | None]
