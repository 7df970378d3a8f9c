"""The App Home is assembled from sections that capabilities contribute, each with its place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from slackbot.mrkdwn import fit, truncate

Blocks = list[dict[str, Any]]
Section = Callable[[Session, str, datetime], Blocks]


@dataclass(frozen=True)
class HomeChanged:
    """Something on these people's App Home changed (everyone's, when ``everyone``)."""

    user_ids: tuple[str, ...] = ()
    everyone: bool = False


@dataclass
class HomeSections:
    _sections: list[tuple[int, Section]] = field(default_factory=list)

    def add(self, order: int, section: Section) -> None:
        """``section(session, user_id, now)`` gives its blocks; lower ``order`` comes first."""
        self._sections.append((order, section))
        self._sections.sort(key=lambda entry: entry[0])

    def blocks(self, session: Session, user_id: str, now: datetime) -> Blocks:
        return [block for _, section in self._sections for block in section(session, user_id, now)]


MAX_BLOCKS = 100
PER_SECTION = 10
SECTION_TEXT = 3000
HEADER_TEXT = 150


def section(title: str, lines: list[str], empty: str) -> Blocks:
    """A header and one block of lines, capped with "and N more"."""
    shown = lines[:PER_SECTION]
    if len(lines) > PER_SECTION:
        shown.append(f"_and {len(lines) - PER_SECTION} more_")
    text = fit(shown, SECTION_TEXT) if shown else f"_{empty}_"
    return [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(title, HEADER_TEXT)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
    ]


def cap(blocks: Blocks) -> Blocks:
    """Slack refuses more than 100 blocks in a view."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    dropped = len(blocks) - MAX_BLOCKS + 1
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {dropped} more blocks not shown"}]}
    return [*blocks[: MAX_BLOCKS - 1], note]
