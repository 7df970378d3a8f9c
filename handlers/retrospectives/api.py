"""What other capabilities may use of retrospectives: the questions the monthly retrospective issue
asks of them. Each capability that saw something answers its own (``ctx.providers``) with a section
of GitLab Markdown, people's text in it made inert (``usertext.gitlab``); a capability that is not
installed leaves its section out. Nothing else of ``handlers.retrospectives`` is imported from
outside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from slackbot.providers import Key

__all__ = ["BLOCKERS", "DEPLOYS", "INCIDENTS", "QUESTIONS", "SECTIONS", "STANDUPS", "RetroSection", "Seen"]


@dataclass(frozen=True)
class RetroSection:
    title: str
    lines: list[str]  # GitLab Markdown


Seen = Callable[[Session, datetime, datetime], RetroSection]  # what was seen in [start, end)

INCIDENTS: Key[Seen] = Key("retrospectives.incidents")
BLOCKERS: Key[Seen] = Key("retrospectives.blockers")
DEPLOYS: Key[Seen] = Key("retrospectives.deploys")
STANDUPS: Key[Seen] = Key("retrospectives.standups")
QUESTIONS: Key[Seen] = Key("retrospectives.questions")
SECTIONS = (INCIDENTS, BLOCKERS, DEPLOYS, STANDUPS, QUESTIONS)  # in the order
