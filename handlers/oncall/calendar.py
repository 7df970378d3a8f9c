"""Each rotation's shifts, overrides included, as an iCalendar feed (RFC 5545) for calendar apps:
pure text from the timeline. Text values are escaped and long lines folded as the RFC asks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from handlers.oncall.schedule import Segment

LINE_OCTETS = 75


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n").replace("\r", "")


def _fold(line: str) -> list[str]:
    """Lines of at most 75 octets, each continuation led by a space (a character is never split)."""
    parts, current, limit = [], "", LINE_OCTETS
    for char in line:
        if len((current + char).encode()) > limit:
            parts.append(current)
            current, limit = "", LINE_OCTETS - 1
        current += char
    parts.append(current)
    return [parts[0], *(" " + part for part in parts[1:])]


def feed(shifts: Iterable[tuple[str, Segment]], names: Mapping[str, str] | None, now: datetime) -> str:
    """``shifts``: (rotation, segment); ``names``: who to name, or None to name nobody."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//fulfillbot//on call//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:On call",
    ]
    for rotation, segment in shifts:
        who = names.get(segment.user, segment.user) if names is not None else "someone"
        kind = " (override)" if segment.override is not None else ""
        lines += [
            "BEGIN:VEVENT",
            f"UID:oncall-{_text(rotation)}-{_stamp(segment.start)}-{segment.user}@fulfillbot",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(segment.start)}",
            f"DTEND:{_stamp(segment.end)}",
            f"SUMMARY:{_text(f'{rotation}: {who} on call{kind}')}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
