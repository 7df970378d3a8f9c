"""``/incident stats`` as a chart: incidents declared per week by severity (stacked bars), with the
week's mean time to acknowledge and to resolve (lines, minutes)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from handlers.incidents.models import Incident
from slackbot.charts import weekly

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "incidents.weekly"
COLOURS = {"sev1": "#cf222e", "sev2": "#e3b341", "sev3": "#7fc97f"}


def _week(moment: datetime, zone: ZoneInfo) -> date:
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def _minutes(spans: list[timedelta]) -> float | None:
    return round(statistics.mean(s.total_seconds() for s in spans) / 60, 1) if spans else None


def data(incidents: Sequence[Incident], now: datetime, weeks: int, zone: ZoneInfo) -> dict[str, Any]:
    """Per week (Monday, team timezone), oldest first, every week of the span even without incidents."""
    current = _week(now, zone)
    starts = [current - timedelta(weeks=k) for k in reversed(range(weeks))]
    rows = []
    for start in starts:
        mine = [i for i in incidents if _week(i.declared_at, zone) == start]
        rows.append(
            {
                "week": start.isoformat(),
                **{severity: sum(i.severity == severity for i in mine) for severity in COLOURS},
                "mtta_min": _minutes([i.acked_at - i.declared_at for i in mine if i.acked_at]),
                "mttr_min": _minutes([i.resolved_at - i.declared_at for i in mine if i.resolved_at]),
            }
        )
    return {"weeks": rows}


def alt(chart: dict[str, Any]) -> str:
    total = sum(w[s] for w in chart["weeks"] for s in COLOURS)
    return (
        f"Stacked bar chart of the {total} incidents declared per week over {len(chart['weeks'])} weeks by"
        " severity, with lines for the mean minutes to acknowledge and to resolve."
    )


def render(chart: dict[str, Any]) -> Figure:
    bars = [(severity, severity, colour) for severity, colour in COLOURS.items()]
    lines = (("mtta_min", "MTTA", "-", "#0969da"), ("mttr_min", "MTTR", "--", "#0969da"))
    title = "Incidents per week by severity, with MTTA and MTTR"
    return weekly(chart, title, "incidents declared", bars, lines, "minutes")
