"""``GET /status`` and ``/status.json``. With ``access = "token"``, a request needs ``?token=`` (which
also sets a cookie, so links on the page keep working) or that cookie, matching
``STATUS_PAGE_TOKEN``, compared in constant time; anything else is 401 and shows nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from handlers.alerts import api as alerts
from handlers.deploys import api as deploys
from handlers.incidents import api as incidents
from handlers.status import api as status
from handlers.status_page import page
from handlers.status_page.config import StatusPageSection
from slackbot.context import BotContext
from slackbot.edge import Answer
from slackbot.mrkdwn import USER_MENTION
from slackbot.pages import PageRequest

log = logging.getLogger(__name__)

COOKIE = "fulfillbot_status"
COOKIE_LIFETIME = timedelta(days=30)
RESOLVED_SHOWN = timedelta(days=14)
CSP = page.content_security_policy()
REFUSED = Answer(401, b"This status page needs its token: open it with ?token=...")


def cookie_value(token: str, expires: datetime) -> str:
    """What the cookie holds: when it expires, and a digest of that keyed by the token. Never the
    token itself; a new ``STATUS_PAGE_TOKEN`` ends every cookie given before."""
    stamp = str(int(expires.timestamp()))
    return f"{stamp}.{hmac.new(token.encode(), b'status-cookie:' + stamp.encode(), hashlib.sha256).hexdigest()}"


def cookie_valid(token: str, value: str, now: datetime) -> bool:
    stamp, _, _digest = value.partition(".")
    if not stamp.isdigit() or len(stamp) > 12 or int(stamp) < now.timestamp():
        return False
    return hmac.compare_digest(value.encode(), cookie_value(token, datetime.fromtimestamp(int(stamp), UTC)).encode())


def allowed(ctx: BotContext, request: PageRequest) -> tuple[bool, bool]:
    """(may see it, set the cookie)."""
    if ctx.config.section(StatusPageSection).access == "public":
        return True, False
    token = ctx.settings.status_page_token
    if not token:
        return False, False
    given = request.query.get("token")
    if given is not None:
        ok = hmac.compare_digest(given.encode(), token.encode())
        return ok, ok
    return cookie_valid(token, request.cookies.get(COOKIE, ""), ctx.clock.now()), False


def document(ctx: BotContext) -> dict[str, Any]:
    now = ctx.clock.now()
    show_people = ctx.config.section(StatusPageSection).show_people
    with ctx.db.reading() as session:
        days = status.per_day(session, now.astimezone(UTC).date() - timedelta(days=status.STRIP_DAYS - 1))
        hours = status.per_hour(session, now)
        current = status.probe_statuses(session)
        open_ones = incidents.open_incidents(session)
        resolved = incidents.resolved_since(session, now - RESOLVED_SHOWN)
        shown = [*open_ones, *resolved]
        updates = incidents.last_updates(session, [i.id for i in shown])
        said = [i.summary for i in shown] + [u.text for u in updates.values()]
        named = {i.lead for i in shown if i.lead} | {m[1] for text in said for m in USER_MENTION.finditer(text)}
        people = page.People(ctx.directory.names(session, sorted(named)) if show_people else None)
        windows = alerts.maintenance(ctx, session, now)
        probed = set(status.probe_names(ctx.config))
        firing = [g for g in alerts.firing_groups(session) if g.service in probed]  # public services only
    return {
        "generated_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "probes": [
            page.probe_document(name, current.get(name), days.get(name, {}), hours.get(name, []), now)
            for name in [*status.probe_names(ctx.config), *status.heartbeat_names(ctx.config)]
        ],
        "maintenance": [page.maintenance_document(w, now) for w in windows],
        "alerts": [page.alert_document(g) for g in firing],
        "change_locks": [page.lock_document(lock, now) for lock in deploys.change_locks(ctx, now)],
        "incidents": {
            "open": [page.incident_document(i, updates.get(i.id), people) for i in open_ones],
            "resolved": [page.incident_document(i, updates.get(i.id), people) for i in resolved],
        },
    }


def serve(ctx: BotContext, as_json: bool, request: PageRequest) -> Answer:
    ok, set_cookie = allowed(ctx, request)
    if not ok:
        log.warning("refused a request for the status page without its token")
        return REFUSED
    data = document(ctx)
    headers: list[tuple[str, str]] = [("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer")]
    if set_cookie:
        value = cookie_value(ctx.settings.status_page_token, ctx.clock.now() + COOKIE_LIFETIME)
        lifetime = int(COOKIE_LIFETIME.total_seconds())
        headers.append(
            ("Set-Cookie", f"{COOKIE}={value}; Path=/; Max-Age={lifetime}; HttpOnly; Secure; SameSite=Strict")
        )
    if as_json:
        return Answer(200, json.dumps(data).encode(), "application/json", tuple(headers))
    headers.append(("Content-Security-Policy", CSP))
    return Answer(200, page.render(data).encode(), "text/html; charset=utf-8", tuple(headers))


def register(ctx: BotContext) -> None:
    ctx.pages.get("/status", partial(serve, ctx, False))
    ctx.pages.get("/status.json", partial(serve, ctx, True))
