"""Production blockers opened from Slack."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class Blocker(Base):
    """A ``production::blocker`` issue asked for in Slack: ``opening`` until GitLab has it, then
    ``open`` until lifted (``failed`` when GitLab refused it)."""

    __tablename__ = "production_blockers"

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="open")
    reason: Mapped[str] = mapped_column(Text, default="")
    iid: Mapped[int | None]
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(2048), default="")
    opened_by: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime]
    lifted_by: Mapped[str | None] = mapped_column(String(32))
    lifted_at: Mapped[datetime | None]
