"""Deploy trains (one per pipeline of the deploy ref) and production change locks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class Train(Base):
    """A pipeline of ``[deploys] ref`` on its way to production, shown as one message."""

    __tablename__ = "deploy_trains"
    __table_args__ = (UniqueConstraint("project", "pipeline_id", name="uq_deploy_trains_pipeline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(255))
    pipeline_id: Mapped[int]
    ref: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2048))
    sha: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)  # the commit's title, as GitLab sent it (plain text)
    author: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # the pipeline's: running, success, failed, canceled
    posted: Mapped[bool] = mapped_column(default=False)
    stages: Mapped[dict[str, Any]] = mapped_column(JSON)  # stage pattern -> {job, id, status, at, url}
    created_at: Mapped[datetime]
    overtaken_by: Mapped[int | None]  # the newer train's pipeline id
    overtakes: Mapped[int | None]
    blocker_id: Mapped[int | None]
    expedited_by: Mapped[str | None] = mapped_column(String(32))
    expedited_at: Mapped[datetime | None]
    deployed_at: Mapped[datetime | None]  # the production stage passed
    merge_requests: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # {iid, title, url, author}
    freeze: Mapped[str | None] = mapped_column(String(255))  # the milestone whose feature freeze it came in

    @property
    def ref_name(self) -> str:
        return f"train:{self.id}"


class ChangeLockState(Base):
    """What the bot did for a production change lock (``[[deploys.change_locks]]``, by name and
    start): each step once, after a restart too."""

    __tablename__ = "change_lock_states"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)  # name|from
    blocker_id: Mapped[int | None]
    issue_iid: Mapped[int | None]
    issue_url: Mapped[str] = mapped_column(String(2048), default="")
    lifted: Mapped[bool] = mapped_column(default=False)


class FeatureFreeze(Base):
    """The feature freeze of a milestone, as last read from GitLab (``freeze``)."""

    __tablename__ = "feature_freezes"

    milestone: Mapped[str] = mapped_column(String(255), primary_key=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
