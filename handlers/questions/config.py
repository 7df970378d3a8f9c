"""``[questions]``: how questions in the questions channel are closed, nudged and auto-answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar, Literal

from slackbot.config import Duration


@dataclass(frozen=True)
class AutoReply:
    keywords: list[str]
    reply: str


@dataclass(frozen=True)
class QuestionsSection:
    KEY: ClassVar[str] = "questions"

    answered_emojis: list[str] = field(default_factory=lambda: ["white_check_mark"])
    closed_by: Literal["anyone", "asker"] = "anyone"
    nudge_unreplied_after: Duration = timedelta(hours=2)
    remind_asker_after: Duration = timedelta(hours=24)
    triage_usergroup: str = ""
    autoreplies: list[AutoReply] = field(default_factory=list)
