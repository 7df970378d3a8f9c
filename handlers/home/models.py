"""Who has opened the App Home, so changes are republished only for people who look at it."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class HomeVisit(Base):
    __tablename__ = "home_visits"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    opened_at: Mapped[datetime]
    stale_at: Mapped[datetime | None] = mapped_column(index=True)  # something in it changed since
