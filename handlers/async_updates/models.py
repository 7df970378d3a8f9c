"""What each weekly async-update reminder listed, so the App Home can show it without asking GitLab."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class AsyncUpdateReminder(Base):
    __tablename__ = "async_update_reminders"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    week: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO week, "2026-W48"
    checked_at: Mapped[datetime]
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
