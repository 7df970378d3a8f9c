"""Questions asked in the questions channel, the replies in their threads and the ✅ on them.

Replies and reactions are stored by message timestamp, not by foreign key, because Slack can
deliver a reply or a ✅ before the question's own message event; the question picks them up
when it arrives.
"""

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from slackbot.db import Base


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("channel_id", "ts", name="uq_questions_channel_ts"),
        Index("ix_questions_open_created", "closed_at", "created_at"),
        Index("ix_questions_to_nudge", "closed_at", "first_reply_at", "nudged_at", "created_at"),
        Index("ix_questions_to_remind", "closed_at", "asker_reminded_at", "first_reply_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    asker_id: Mapped[str] = mapped_column(String(32), index=True)
    preview: Mapped[str] = mapped_column(Text)
    permalink: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(index=True)
    first_reply_at: Mapped[datetime | None]
    first_reply_by: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(32))
    nudged_at: Mapped[datetime | None]
    asker_reminded_at: Mapped[datetime | None]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class QuestionReply(Base):
    """A human reply in a questions-channel thread."""

    __tablename__ = "question_replies"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_ts: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class AnswerReaction(Base):
    """An answered-emoji reaction present on a questions-channel message."""

    __tablename__ = "answer_reactions"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(100), primary_key=True)
    reacted_at: Mapped[datetime]
