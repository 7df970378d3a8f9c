"""``/fulfillment stats`` and the weekly digest as a chart: questions asked per week (bars) and the
median and p90 hours to a first reply and to ✅ (lines). Data in, figure out: the data is what the
outbox row keeps, the figure is drawn when it is sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from handlers.questions.service import WeekStats
from slackbot.charts import weekly

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "questions.weekly"


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)


def data(weeks: Sequence[WeekStats]) -> dict[str, Any]:
    """Oldest week first, as a chart reads."""
    return {
        "weeks": [
            {
                "week": w.week_start.isoformat(),
                "asked": w.asked,
                "reply_median_h": _hours(w.first_reply_median),
                "reply_p90_h": _hours(w.first_reply_p90),
                "closed_median_h": _hours(w.closed_median),
                "closed_p90_h": _hours(w.closed_p90),
            }
            for w in reversed(weeks)
        ]
    }


def alt(weeks: Sequence[WeekStats]) -> str:
    asked = sum(w.asked for w in weeks)
    return (
        f"Bar chart of questions asked per week over {len(weeks)} weeks ({asked} in all), with lines for"
        " the median and p90 hours to a first reply and to a check mark."
    )


def render(chart: dict[str, Any]) -> Figure:
    reply, closed = "#0969da", "#2da44e"
    lines = (
        ("reply_median_h", "first reply, median", "-", reply),
        ("reply_p90_h", "first reply, p90", "--", reply),
        ("closed_median_h", "✓, median", "-", closed),
        ("closed_p90_h", "✓, p90", "--", closed),
    )
    title = "Questions per week, and hours to a reply and to ✓"
    return weekly(chart, title, "questions asked", [("asked", "asked", "#d0d7de")], lines, "hours")
