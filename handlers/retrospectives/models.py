"""Each month's retrospective issue, and the Slack messages added to it with `Add to retro`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class Retrospective(Base):
    """The issue of the month it looks back on (``month``: ``2026-11``), filed once."""

    __tablename__ = "retrospectives"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    project: Mapped[str] = mapped_column(String(255))
    requested_at: Mapped[datetime]
    issue_iid: Mapped[int | None]
    issue_url: Mapped[str | None] = mapped_column(String(2048))


class RetroNote(Base):
    """A Slack message someone added to a retrospective: kept until GitLab has the comment."""

    __tablename__ = "retro_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(ForeignKey("retrospectives.month", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)  # Slack-encoded, as the message had it
    author: Mapped[str] = mapped_column(String(32), default="")  # "": left out
    permalink: Mapped[str] = mapped_column(String(2048), default="")  # "": left out with the name
    added_by: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime]
