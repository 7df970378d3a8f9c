"""The status page as data (``/status.json``) and as HTML (``/status``): pure functions of what the
service read. People are named only with ``show_people``; otherwise a mention reads "someone"."""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from handlers.alerts.api import FiringGroup, MaintenanceView
from handlers.deploys.api import LockView
from handlers.incidents.api import IncidentView, StatusUpdate
from handlers.status.api import Hourly, ProbeStatus, Tally, strip, window
from slackbot import usertext

HOUR = 3600


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _share(tally: Tally) -> float | None:
    return None if tally.uptime is None else round(tally.uptime, 6)


class People:
    """How a Slack text names people on the page."""

    def __init__(self, names: Mapping[str, str] | None):
        self.names = names  # None: nobody is named

    def text(self, slack_text: str) -> str:
        return usertext.public(slack_text, self.names)

    def person(self, user: str | None) -> str | None:
        return None if self.names is None or not user else self.names.get(user, user)


def probe_document(
    name: str, state: ProbeStatus | None, days: Mapping[date, Tally], hours: Sequence[Hourly], now: datetime
) -> dict[str, Any]:
    today = now.astimezone(UTC).date()
    if state is None or state.last_ok is None:
        current, since = "unknown", None
    elif state.down or not state.last_ok:
        current, since = "down", state.failing_since
    else:
        current, since = "up", None
    return {
        "name": name,
        "state": current,
        "since": _iso(since),
        "uptime": {
            "24h": _share(Tally(sum(h.tally.checks for h in hours), sum(h.tally.passed for h in hours))),
            "7d": _share(window(days, today, 7)),
            "90d": _share(window(days, today, 90)),
        },
        "days": [{"day": d.isoformat(), "checks": t.checks, "uptime": _share(t)} for d, t in strip(days, today)],
        "latency_24h": [
            {
                "hour": _iso(datetime.fromtimestamp(h.hour * HOUR, UTC)),
                "ms": _rounded(h.latency_ms),
            }
            for h in hours
        ],
    }


def incident_document(incident: IncidentView, update: StatusUpdate | None, people: People) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": incident.id,
        "summary": people.text(incident.summary),
        "severity": incident.severity,
        "state": incident.state,
        "since": _iso(incident.declared_at),
        "resolved_at": _iso(incident.resolved_at),
        "last_update": {"at": _iso(update.at), "text": people.text(update.text)} if update else None,
    }
    lead = people.person(incident.lead)
    if lead:
        found["lead"] = lead
    return found


def maintenance_document(window: MaintenanceView, now: datetime) -> dict[str, Any]:
    return {
        "service": window.service,
        "from": _iso(window.start),
        "to": _iso(window.end),
        "reason": window.reason,
        "ongoing": window.start <= now < window.end,
    }


def lock_document(lock: LockView, now: datetime) -> dict[str, Any]:
    return {"name": lock.name, "from": _iso(lock.start), "to": _iso(lock.end), "ongoing": lock.start <= now < lock.end}


def alert_document(group: FiringGroup) -> dict[str, Any]:
    return {"title": group.title, "service": group.service, "firing": group.firing, "since": _iso(group.since)}


def in_words(moment: str | None, now: str) -> str:
    """ "2 hours ago", "in 3 days": what the page says before its script puts the moment in the
    reader's own timezone."""
    if not moment:
        return ""
    delta = (datetime.fromisoformat(moment) - datetime.fromisoformat(now)).total_seconds()
    size = abs(delta)
    for unit, seconds in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if size >= seconds:
            count = int(size // seconds)
            amount = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {amount}" if delta > 0 else f"{amount} ago"
    return "just now"


def _time(moment: str | None, now: str) -> str:
    """A moment as words, with the exact time for the script (and a hover)."""
    if not moment:
        return ""
    e = html.escape
    return f'<time datetime="{e(moment)}" title="{e(moment)}">{e(in_words(moment, now))}</time>'


COLOURS = ((0.999, "#2da44e", "operational"), (0.99, "#7fc97f", "minor issues"), (0.95, "#e3b341", "degraded"))


def colour(uptime: float | None) -> tuple[str, str]:
    if uptime is None:
        return "#d0d7de", "no data"
    for floor, hex_colour, label in COLOURS:
        if uptime >= floor:
            return hex_colour, label
    return "#cf222e", "outage"


def percent(uptime: float | None) -> str:
    return "—" if uptime is None else f"{uptime * 100:.2f}%"


def _sparkline(points: Sequence[Mapping[str, Any]]) -> str:
    values = [p["ms"] for p in points if p["ms"] is not None]
    if len(values) < 2:
        return '<span class="muted">not enough checks in the last 24 h</span>'
    top = max(values) or 1.0
    step = 300 / (len(values) - 1)
    line = " ".join(f"{k * step:.1f},{40 - 36 * v / top:.1f}" for k, v in enumerate(values))
    return (
        f'<svg class="latency" viewBox="0 0 300 42" width="300" height="42" role="img" '
        f'aria-label="latency over 24 h, up to {top:.0f} ms"><polyline fill="none" stroke="#0969da" '
        f'stroke-width="2" points="{line}"/></svg> <span class="muted">max {top:.0f} ms</span>'
    )


def _probe_html(probe: Mapping[str, Any]) -> str:
    e = html.escape
    bars = "".join(
        f'<span class="bar" style="background:{colour(d["uptime"])[0]}" '
        f'data-detail="{e(d["day"])}: {percent(d["uptime"])} of {d["checks"]} checks" '
        f'title="{e(d["day"])}: {percent(d["uptime"])}"></span>'
        for d in probe["days"]
    )
    up = probe["uptime"]
    return (
        f'<section class="probe" data-state="{e(probe["state"])}"><h2>{e(probe["name"])} '
        f'<span class="state {e(probe["state"])}">{e(probe["state"])}</span></h2>'
        f"<p>Uptime: 24 h {percent(up['24h'])} · 7 days {percent(up['7d'])} · 90 days {percent(up['90d'])}</p>"
        f'<div class="strip" aria-label="90 days of uptime">{bars}</div>'
        f'<p class="detail muted">90 days ago → today (hover a day)</p>'
        f"<p>Latency, last 24 h: {_sparkline(probe['latency_24h'])}</p></section>"
    )


def _incident_html(incident: Mapping[str, Any], now: str) -> str:
    e = html.escape
    update = incident["last_update"]
    when = (
        f"resolved {_time(incident['resolved_at'], now)}"
        if incident["resolved_at"]
        else f"{e(incident['state'])} since {_time(incident['since'], now)}"
    )
    said = (
        f'<br><span class="muted">Last update {_time(update["at"], now)}: {e(update["text"])}</span>' if update else ""
    )
    lead = f" · lead {e(incident['lead'])}" if incident.get("lead") else ""
    return (
        f'<li class="incident {e(incident["state"])}"><strong>#{incident["id"]} {e(incident["severity"])}</strong> '
        f'{e(incident["summary"])} <span class="muted">({when}{lead})</span>'
        f"{said}</li>"
    )


def _maintenance_html(window: Mapping[str, Any], now: str) -> str:
    e = html.escape
    when = f"until {_time(window['to'], now)}" if window["ongoing"] else f"from {_time(window['from'], now)}"
    reason = f": {e(window['reason'])}" if window["reason"] else ""
    state = "ongoing" if window["ongoing"] else "planned"
    return f'<li class="maintenance {state}"><strong>{e(window["service"])}</strong> ({state}, {when}){reason}</li>'


def _lock_html(lock: Mapping[str, Any], now: str) -> str:
    e = html.escape
    when = f"until {_time(lock['to'], now)}" if lock["ongoing"] else f"from {_time(lock['from'], now)}"
    state = "ongoing" if lock["ongoing"] else "planned"
    return f'<li class="lock {state}"><strong>{e(lock["name"])}</strong> ({state}, {when}): no production deploys</li>'


def _alert_html(group: Mapping[str, Any], now: str) -> str:
    e = html.escape
    return f"<li><strong>{e(group['title'])}</strong>: {group['firing']} firing since {_time(group['since'], now)}</li>"


STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#1f2328}
h1{font-size:1.5em}h2{font-size:1.1em;margin:.2em 0}.muted{color:#656d76;font-size:.9em}
.probe{border:1px solid #d0d7de;border-radius:6px;padding:.8em 1em;margin:1em 0}
.state{font-size:.8em;padding:.1em .5em;border-radius:1em;color:#fff;background:#656d76}
.state.up{background:#2da44e}.state.down{background:#cf222e}
.strip{display:flex;gap:2px;height:34px}.bar{flex:1;border-radius:2px;min-width:3px}
.bar:hover{outline:2px solid #1f2328}ul{padding-left:1.2em}li{margin:.4em 0}
"""

SCRIPT = """
document.querySelectorAll('.probe').forEach(function (probe) {
  var detail = probe.querySelector('.detail');
  probe.querySelectorAll('.bar').forEach(function (bar) {
    bar.addEventListener('mouseenter', function () { detail.textContent = bar.dataset.detail; });
  });
});
document.querySelectorAll('time[datetime]').forEach(function (time) {
  var moment = new Date(time.getAttribute('datetime'));
  var local = moment.toLocaleString([], {weekday: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short'});
  time.textContent = time.textContent + ' (' + local + ')';
});
"""


def render(document: Mapping[str, Any]) -> str:
    probes = "".join(_probe_html(p) for p in document["probes"]) or '<p class="muted">No probes are configured.</p>'
    now = document["generated_at"]
    open_ones = "".join(_incident_html(i, now) for i in document["incidents"]["open"]) or "<li>None.</li>"
    resolved = "".join(_incident_html(i, now) for i in document["incidents"]["resolved"]) or "<li>None.</li>"
    windows = "".join(_maintenance_html(w, now) for w in document["maintenance"]) or "<li>None.</li>"
    alerts = "".join(_alert_html(g, now) for g in document["alerts"]) or "<li>None.</li>"
    locks = "".join(_lock_html(lock, now) for lock in document["change_locks"]) or "<li>None.</li>"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Status</title><style>{STYLE}</style></head><body>"
        f'<h1>Status</h1><p class="muted">Updated {_time(now, now)}</p>{probes}'
        f'<h2>Open incidents</h2><ul id="open-incidents">{open_ones}</ul>'
        f'<h2>Alerts firing</h2><ul id="alerts">{alerts}</ul>'
        f'<h2>Maintenance</h2><ul id="maintenance">{windows}</ul>'
        f'<h2>Production change locks</h2><ul id="change-locks">{locks}</ul>'
        f'<h2>Resolved in the last 14 days</h2><ul id="resolved-incidents">{resolved}</ul>'
        f"<script>{SCRIPT}</script></body></html>"
    )


def content_security_policy() -> str:
    """What the HTML page may load: nothing from elsewhere, its one inline script (by its hash), its
    inline styles; it may not be framed."""
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    return (
        f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
