"""Intake requests, stored before GitLab is asked, so a GitLab outage loses none."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class IntakeRequest(Base):
    __tablename__ = "intake_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    submitted_at: Mapped[datetime]
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    issue_url: Mapped[str | None] = mapped_column(String(2048))
    issue_iid: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")

    @property
    def acknowledgement(self) -> str:
        """The DM that says it is being filed; the issue links back to it."""
        return f"intake:{self.id}:ack"
