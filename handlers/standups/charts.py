"""``/standup stats`` as a chart: the team's participation per week (top), and per person their
participation with their current streak (bottom; the most regular first, at most 25 people)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from handlers.standups.schedule import Participation
from slackbot.charts import figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "standups.participation"
PEOPLE_SHOWN = 25


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def data(
    weekly: Sequence[tuple[date, int, int]], people: Sequence[Participation], names: dict[str, str]
) -> dict[str, Any]:
    """``weekly``: (week start, answered, counted) oldest first; counted days exclude away days."""
    ordered = sorted(people, key=lambda r: (-(r.rate or 0), r.user_id))[:PEOPLE_SHOWN]
    return {
        "weeks": [
            {"week": w.isoformat(), "rate": answered / counted if counted else None} for w, answered, counted in weekly
        ],
        "people": [{"name": names.get(r.user_id, r.user_id), "rate": r.rate, "streak": r.streak} for r in ordered],
    }


def alt(chart: dict[str, Any]) -> str:
    return (
        f"Line chart of the team's standup participation over {len(chart['weeks'])} weeks, and bars of"
        f" participation for {len(chart['people'])} people, each with their current streak."
    )


def render(chart: dict[str, Any]) -> Figure:
    fig, (weekly, people) = figure(rows=2)
    weeks = chart["weeks"]
    points = [(k, w["rate"] * 100) for k, w in enumerate(weeks) if w["rate"] is not None]
    weekly.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#0969da")
    weekly.set_xticks(range(len(weeks)), [w["week"][5:] for w in weeks], fontsize=8)
    weekly.set_ylim(0, 105)
    weekly.set_ylabel("% answered")
    weekly.set_title("Team participation per week (away days not counted)", fontsize=10)
    rows = chart["people"]
    rates = [0 if r["rate"] is None else r["rate"] * 100 for r in rows]
    bars = people.bar([r["name"] for r in rows], rates, color="#2da44e")
    for bar, row in zip(bars, rows, strict=True):
        people.annotate(
            f"{row['streak']}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    people.set_ylim(0, 115)
    people.set_ylabel("% answered")
    people.tick_params(axis="x", labelsize=7, rotation=45)
    people.set_title("Per person (the number on a bar: current streak in days)", fontsize=10)
    return fig
