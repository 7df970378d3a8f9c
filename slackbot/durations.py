"""Durations as operators write them in the config ("90s", "5m", "4h", "2d") and as people read them."""

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """Parse "90s", "5m", "4h", "2d", "1w" or combinations such as "1h30m"; raise ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration")
    compact = text.strip().lower()
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f'"{text}" is not a duration')
    return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))


def format_duration(delta: timedelta) -> str:
    """Short human form with the two largest units: "3d 4h", "2h 5m", "12m 30s", "45s"."""
    seconds = max(0, round(delta.total_seconds()))
    pieces: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount or pieces:
            pieces.append(f"{amount}{unit}")
    significant = [p for p in pieces[:2] if not p.startswith("0")]
    return " ".join(significant) or "0s"
