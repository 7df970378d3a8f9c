"""The second baseline for ``bench_events.py``: the question tracker a team would write by hand on
Bolt. A message in the questions channel becomes a row, written with the SQLAlchemy ORM into SQLite
by the listener after Bolt has acknowledged the event (Bolt's default: the listener runs on its
thread pool once the 200 is sent); a ✅ closes it; ``/fulfillment`` counts the open ones. Nothing
is stored before the 200 and nothing is de-duplicated: a redelivered event is a second row.
Served as WSGI the way the bot is (``gunicorn bench.tracker_bolt:app``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import String, Text, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

QUESTIONS = os.environ.get("TRACKER_CHANNEL", "")


class Base(DeclarativeBase):
    pass


class TrackedQuestion(Base):
    __tablename__ = "tracked_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32), index=True)
    user: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


engine = create_engine(os.environ["TRACKER_DATABASE_URL"])
Base.metadata.create_all(engine)
bolt = App(
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    token_verification_enabled=False,
)


@bolt.event("message")
def on_message(event: dict[str, Any]) -> None:
    if event.get("channel") != QUESTIONS or event.get("thread_ts") or event.get("subtype"):
        return
    with Session(engine) as session:
        session.add(
            TrackedQuestion(
                channel=event["channel"],
                ts=event["ts"],
                user=event.get("user", ""),
                text=event.get("text", ""),
                asked_at=datetime.now(UTC),
            )
        )
        session.commit()


@bolt.event("reaction_added")
def on_reaction(event: dict[str, Any]) -> None:
    item = event.get("item") or {}
    if event.get("reaction") != "white_check_mark" or item.get("channel") != QUESTIONS:
        return
    with Session(engine) as session:
        found = session.scalar(select(TrackedQuestion).where(TrackedQuestion.ts == item.get("ts")))
        if found is not None and found.closed_at is None:
            found.closed_at = datetime.now(UTC)
            session.commit()


@bolt.command("/fulfillment")
def on_command(ack: Ack) -> None:
    with Session(engine) as session:
        still_open = session.scalar(select(func.count()).where(TrackedQuestion.closed_at.is_(None)))
    ack(f"{still_open} open questions.")


app = SlackRequestHandler(bolt)
