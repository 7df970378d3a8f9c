"""``/fulfillment status`` as a chart: per probe, latency over the last 24 hours and uptime per day
over 30 days, with the days of alerted outages and of declared incidents marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from handlers.status.history import HOUR, Hourly, Tally, strip
from slackbot.charts import figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "status.probes"
DAYS = 30
PROBES_SHOWN = 5  # a figure taller than that is no longer read at a glance


def data(
    names: Sequence[str],
    days: Mapping[str, Mapping[date, Tally]],
    hours: Mapping[str, Sequence[Hourly]],
    outage_days: Mapping[str, set[date]],
    incident_days: set[date],
    now: datetime,
) -> dict[str, Any]:
    today = now.astimezone(UTC).date()
    return {
        "probes": [
            {
                "name": name,
                "latency": [[(h.hour * HOUR - int(now.timestamp())) / HOUR, h.latency_ms] for h in hours.get(name, [])],
                "days": [[d.isoformat(), t.uptime] for d, t in strip(days.get(name, {}), today, DAYS)],
                "outages": sorted(d.isoformat() for d in outage_days.get(name, set())),
            }
            for name in names[:PROBES_SHOWN]
        ],
        "incidents": sorted(d.isoformat() for d in incident_days if today - d < timedelta(days=DAYS)),
    }


def alt(chart: dict[str, Any]) -> str:
    names = ", ".join(p["name"] for p in chart["probes"]) or "no probes"
    return f"For each probe ({names}): latency over the last 24 hours, and uptime per day over 30 days."


def render(chart: dict[str, Any]) -> Figure:
    probes = chart["probes"] or [{"name": "no probes configured", "latency": [], "days": [], "outages": []}]
    fig, axes = figure(rows=2 * len(probes))
    for k, probe in enumerate(probes):
        latency, uptime = axes[2 * k], axes[2 * k + 1]
        points = [p for p in probe["latency"] if p[1] is not None]
        latency.plot([p[0] for p in points], [p[1] for p in points], color="#0969da", marker=".")
        latency.set_xlim(-24, 0)
        latency.set_ylim(bottom=0)
        latency.set_ylabel("ms")
        latency.set_title(f"{probe['name']}: latency, last 24 h (hours ago)", fontsize=9)
        labels = [d[0][5:] for d in probe["days"]]
        shares = [0 if d[1] is None else d[1] * 100 for d in probe["days"]]
        colours = ["#d0d7de" if d[1] is None else "#2da44e" if d[1] >= 0.999 else "#cf222e" for d in probe["days"]]
        uptime.bar(labels, shares, color=colours)
        for day in probe["outages"]:
            if day[5:] in labels:
                uptime.axvline(labels.index(day[5:]), color="#cf222e", linestyle=":", linewidth=1)
        for day in chart["incidents"]:
            if day[5:] in labels:
                uptime.plot([labels.index(day[5:])], [101], marker="v", color="#8250df")
        uptime.set_ylim(0, 105)
        uptime.set_ylabel("% up")
        uptime.tick_params(axis="x", labelsize=6, rotation=90)
        uptime.set_title("uptime per day, last 30 days (dotted: outage; ▼: incident)", fontsize=9)
    return fig
