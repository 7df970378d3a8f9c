"""Incidents: declared from Slack or by a probe alert, paged up the escalation chain until someone
acknowledges, with a timeline shown on resolve.

The escalation lives in the database and moves on the scheduler tick. Every step locks the
incident's row and checks its state first, and every page is a stored notice delivered under the
same lock, so an acknowledgement stops all paging at once, even a page that was due in the same tick.
"""

from __future__ import annotations

import logging
import statistics
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.incidents import messages
from handlers.incidents.models import Incident, Notice, TimelineEntry
from handlers.incidents.policy import levels, next_step, snapshot
from slackbot.app import BotContext
from slackbot.commands import CommandCall, UsageError, weeks
from slackbot.durations import format_duration
from slackbot.pagerduty import PagerDutyError
from slackbot.signals import HomeChanged, ProbeAlerted
from slackbot.slack_lookup import permalink, usergroup_mention

if TYPE_CHECKING:
    from slackbot.demo import Tour

log = logging.getLogger(__name__)

PAGES = ("dm", "usergroup")
DEFAULT_SEVERITY = "sev2"


class Incidents:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.zone = ZoneInfo(ctx.config.timezone)

    # ----- the incident and its escalation (inside a transaction) --------------------------------------

    def lock(self, session: Session, incident_id: int) -> Incident | None:
        return session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())

    def note(self, session: Session, incident: Incident, kind: str, actor: str = "", text: str = "") -> None:
        session.add(TimelineEntry(incident_id=incident.id, at=self.ctx.clock.now(), kind=kind, actor=actor, text=text))

    def declare(
        self, session: Session, summary: str, severity: str, source: str, by: str, outage_id: int | None = None
    ) -> Incident:
        now = self.ctx.clock.now()
        incident = Incident(
            summary=summary,
            severity=severity,
            source=source,
            outage_id=outage_id,
            state="open",
            declared_by=by,
            declared_at=now,
            channel_id=self.ctx.channel("status"),
            policy=snapshot(self.ctx.config.incidents),
            next_level=0,
            rounds=0,
            next_step_at=now,
            escalation_stopped=False,
        )
        session.add(incident)
        session.flush()
        self.note(session, incident, "declared", by, f"{severity}, from {source}: {summary}")
        self.step(session, incident, now)  # queues the first pages, delivered once this commits
        text, blocks = messages.channel_message(incident, len(levels(incident.policy)))
        incident.message_ts = self.ctx.client.chat_postMessage(channel=incident.channel_id, text=text, blocks=blocks)[
            "ts"
        ]
        self.ctx.signals.home_changed.send(session, HomeChanged(everyone=True))
        return incident

    def step(self, session: Session, incident: Incident, now: datetime) -> None:
        """Page the next level (or announce that the policy is exhausted) and schedule the one after."""
        chain = levels(incident.policy)
        step = next_step(incident.policy, incident.next_level, incident.rounds)
        if step.page_level is None:
            incident.next_step_at = None
            if chain and not incident.escalation_stopped:
                incident.escalation_stopped = True
                self.note(session, incident, "escalation stopped", text="nobody acknowledged")
                self.thread(incident, messages.stopped(incident), broadcast=True)
            self.refresh(incident)
            return
        level = chain[step.page_level]
        for user in level.users:
            session.add(self.notice(incident, "dm", user, level=step.page_level))
        if level.users and self.ctx.pagerduty is not None:
            session.add(self.notice(incident, "pagerduty", action="trigger", level=step.page_level))
        if level.usergroup:
            session.add(self.notice(incident, "usergroup", level.usergroup, level=step.page_level))
        who = ", ".join(f"<@{u}>" for u in level.users) or f"@{level.usergroup}"
        self.note(session, incident, "paged", text=f"level {step.page_level + 1}: {who}")
        incident.paged_level = step.page_level
        incident.next_level, incident.rounds = step.next_level, step.rounds
        incident.next_step_at = now + step.wait if step.wait is not None else None
        self.refresh(incident)

    def notice(
        self, incident: Incident, kind: str, target: str = "", action: str = "", level: int | None = None
    ) -> Notice:
        return Notice(
            incident_id=incident.id,
            kind=kind,
            target=target,
            action=action,
            level=level,
            created_at=self.ctx.clock.now(),
            cancelled=False,
            attempts=0,
            last_error="",
        )

    def refresh(self, incident: Incident) -> None:
        if incident.message_ts:
            text, blocks = messages.channel_message(incident, len(levels(incident.policy)))
            self.ctx.client.chat_update(channel=incident.channel_id, ts=incident.message_ts, text=text, blocks=blocks)

    def thread(self, incident: Incident, text: str, broadcast: bool = False) -> None:
        self.ctx.client.chat_postMessage(
            channel=incident.channel_id, thread_ts=incident.message_ts, text=text, reply_broadcast=broadcast
        )

    def acknowledge(self, session: Session, incident: Incident, user: str) -> str | None:
        if incident.state != "open":
            return f"Incident #{incident.id} is already {incident.state}."
        now = self.ctx.clock.now()
        incident.state, incident.acked_by, incident.acked_at, incident.next_step_at = "acknowledged", user, now, None
        self.note(session, incident, "acknowledged", user)
        self.stop_paging(session, incident, "acknowledge")
        self.ctx.signals.home_changed.send(session, HomeChanged(everyone=True))
        self.thread(incident, f":eyes: Acknowledged by <@{user}> after {format_duration(now - incident.declared_at)}.")
        return None

    def escalate(self, session: Session, incident: Incident, user: str) -> str | None:
        if incident.state != "open":
            return f"Incident #{incident.id} is {incident.state}: nothing to escalate."
        if incident.escalation_stopped:
            incident.next_level, incident.escalation_stopped = 0, False
        self.note(session, incident, "escalated", user)
        self.step(session, incident, self.ctx.clock.now())
        return None

    def resolve(self, session: Session, incident: Incident, user: str) -> str | None:
        if incident.state == "resolved":
            return f"Incident #{incident.id} is already resolved."
        now = self.ctx.clock.now()
        if incident.acked_at is None:
            incident.acked_by, incident.acked_at = user, now
        incident.state, incident.resolved_by, incident.resolved_at, incident.next_step_at = "resolved", user, now, None
        self.note(session, incident, "resolved", user)
        self.stop_paging(session, incident, "resolve")
        self.ctx.signals.home_changed.send(session, HomeChanged(everyone=True))
        entries = list(
            session.scalars(
                select(TimelineEntry).where(TimelineEntry.incident_id == incident.id).order_by(TimelineEntry.id)
            )
        )
        self.thread(incident, messages.timeline(incident, entries, self.zone))
        return None

    def stop_paging(self, session: Session, incident: Incident, pagerduty_action: str) -> None:
        """Cancel every page not yet sent, close the ones sent, tell PagerDuty, update the message."""
        notices = list(session.scalars(select(Notice).where(Notice.incident_id == incident.id)))
        for notice in notices:
            if notice.sent_at is None and (notice.kind in PAGES or notice.action == "trigger"):
                notice.cancelled = True
        if any(n.action == "trigger" and n.sent_at for n in notices):
            session.add(self.notice(incident, "pagerduty", action=pagerduty_action))
        for notice in notices:
            if notice.kind == "dm" and notice.ts and notice.channel_id:
                self.ctx.client.chat_update(
                    channel=notice.channel_id, ts=notice.ts, text=messages.page_closed(incident), blocks=[]
                )
        self.refresh(incident)

    # ----- delivery and the tick ----------------------------------------------------------------------

    def run_due(self, now: datetime) -> None:
        with self.ctx.db.reading() as session:
            due = list(
                session.scalars(
                    select(Incident.id)
                    .where(Incident.state == "open", Incident.next_step_at <= now)
                    .order_by(Incident.id)
                )
            )

        def step_if_due(session: Session, incident_id: int) -> None:
            incident = self.lock(session, incident_id)
            if (
                incident is not None
                and incident.state == "open"
                and incident.next_step_at
                and incident.next_step_at <= now
            ):
                self.step(session, incident, now)

        self.ctx.each(due, step_if_due, "escalation step")
        self.deliver()

    def deliver(self) -> None:
        with self.ctx.db.reading() as session:
            pending = list(
                session.scalars(
                    select(Notice.id).where(Notice.sent_at.is_(None), Notice.cancelled.is_(False)).order_by(Notice.id)
                )
            )
        self.ctx.each(pending, self.deliver_one, "incident notice")

    def deliver_one(self, session: Session, notice_id: int) -> None:
        """Under the incident's lock, and reading the notice only once holding it: another process that
        delivered it meanwhile has committed, and we see it sent."""
        incident_id = session.scalar(select(Notice.incident_id).where(Notice.id == notice_id))
        incident = self.lock(session, incident_id) if incident_id is not None else None
        notice = session.scalar(select(Notice).where(Notice.id == notice_id).execution_options(populate_existing=True))
        if notice is None or incident is None or notice.sent_at is not None or notice.cancelled:
            return
        if (notice.kind in PAGES or notice.action == "trigger") and incident.state != "open":
            notice.cancelled = True
            return
        try:
            self.send(incident, notice)
            notice.sent_at = self.ctx.clock.now()
        except (SlackApiError, PagerDutyError, OSError) as exc:
            notice.attempts += 1
            notice.last_error = str(exc)[:500]
            if not _retryable(exc):
                notice.cancelled = True
                log.error("notice %s for incident #%s cannot be delivered: %s", notice.id, incident.id, exc)
            else:
                log.warning("notice %s for incident #%s failed (%s); retrying next tick", notice.id, incident.id, exc)

    def send(self, incident: Incident, notice: Notice) -> None:
        if notice.kind == "dm":
            link = self.message_link(incident)
            text, blocks = messages.page(incident, notice.level or 0, len(levels(incident.policy)), link)
            posted = self.ctx.client.chat_postMessage(channel=notice.target, text=text, blocks=blocks)
            notice.channel_id, notice.ts = posted["channel"], posted["ts"]
        elif notice.kind == "usergroup":
            self.thread(
                incident, messages.usergroup_ping(usergroup_mention(self.ctx.client, notice.target), incident), True
            )
        else:
            assert self.ctx.pagerduty is not None
            self.ctx.pagerduty.send(
                notice.action, f"fulfillbot-incident-{incident.id}", *self.pagerduty_details(incident, notice)
            )

    def pagerduty_details(
        self, incident: Incident, notice: Notice
    ) -> tuple[dict[str, Any] | None, list[dict[str, str]] | None]:
        if notice.action != "trigger":
            return None, None
        payload = {
            "summary": messages.title(incident)[:1024],
            "source": "fulfillbot",
            "severity": messages.SEVERITIES.get(incident.severity, "error"),
            "component": "CustomersDot" if incident.source == "probe" else "fulfillment",
            "group": "fulfillment",
            "class": incident.source,
            "custom_details": {
                "incident": incident.id,
                "declared_by": incident.declared_by,
                "level": (notice.level or 0) + 1,
            },
        }
        return payload, [{"href": self.message_link(incident), "text": "Incident in Slack"}]

    def message_link(self, incident: Incident) -> str:
        return permalink(self.ctx.client, incident.channel_id, incident.message_ts)

    # ----- Slack entry points -------------------------------------------------------------------------

    def on_button(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        action = body["actions"][0]
        act = {messages.ACK: self.acknowledge, messages.ESCALATE: self.escalate, messages.RESOLVE: self.resolve}
        with self.ctx.db.transaction() as session:
            incident = self.lock(session, int(action["value"]))
            answer = (
                "That incident no longer exists."
                if incident is None
                else act[action["action_id"]](session, incident, body["user"]["id"])
            )
        self.deliver()
        if answer:
            respond(text=answer, response_type="ephemeral", replace_original=False)

    def on_shortcut(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        message = body.get("message", {})
        link = permalink(self.ctx.client, body["channel"]["id"], message.get("ts"))
        first_line = (message.get("text") or "(no text)").strip().splitlines()[0][:150]
        summary = f"{first_line} (<{link}|from this message>)"
        with self.ctx.db.transaction() as session:
            incident = self.declare(session, summary, DEFAULT_SEVERITY, "shortcut", body["user"]["id"])
            number = incident.id
        self.deliver()
        respond(text=f"Declared incident #{number} in <#{self.ctx.channel('status')}>.", response_type="ephemeral")

    def on_probe_alert(self, session: Session, alerted: ProbeAlerted) -> None:
        if session.scalar(select(Incident.id).where(Incident.outage_id == alerted.outage_id)) is None:
            summary = f"{alerted.probe} is down: {alerted.error}"
            self.declare(session, summary, "sev1", "probe", self.ctx.bot_user_id, outage_id=alerted.outage_id)

    def declare_command(self, call: CommandCall) -> str:
        words = call.text.split()
        severity = words.pop().lower() if words and words[-1].lower() in messages.SEVERITIES else DEFAULT_SEVERITY
        if not words:
            raise UsageError("Say what is happening: `/incident declare CustomersDot checkout returns 500 sev1`.")
        with self.ctx.db.transaction() as session:
            number = self.declare(session, " ".join(words), severity, "command", call.user_id).id
        self.deliver()
        return f"Declared incident #{number} in <#{self.ctx.channel('status')}>."

    def note_command(self, call: CommandCall) -> str:
        first, _, rest = call.text.partition(" ")
        with self.ctx.db.transaction() as session:
            if first.lstrip("#").isdigit() and rest.strip():
                incident = self.lock(session, int(first.lstrip("#")))
                text = rest.strip()
            else:
                open_ones = list(session.scalars(select(Incident).where(Incident.state != "resolved")))
                incident = open_ones[0] if len(open_ones) == 1 else None
                text = call.text.strip()
                if incident is None and open_ones:
                    raise UsageError("Several incidents are open: say which, `/incident note 12 what happened`.")
            if incident is None or not text:
                raise UsageError("Give an open incident and a note: `/incident note 12 rolled back the deploy`.")
            self.note(session, incident, "note", call.user_id, text)
            self.thread(incident, f":memo: <@{call.user_id}>: {text}")
            return f"Noted on incident #{incident.id}."

    def list_command(self, _call: CommandCall) -> str:
        with self.ctx.db.reading() as session:
            open_ones = list(
                session.scalars(select(Incident).where(Incident.state != "resolved").order_by(Incident.id))
            )
            links = {i.id: self.message_link(i) for i in open_ones}
            return messages.listing(open_ones, self.ctx.clock.now(), links)

    def stats_command(self, call: CommandCall) -> str:
        count = weeks(call.text)
        since = self.ctx.clock.now() - timedelta(weeks=count)
        with self.ctx.db.reading() as session:
            found = list(session.scalars(select(Incident).where(Incident.declared_at >= since)))
        to_ack = [i.acked_at - i.declared_at for i in found if i.acked_at]
        to_resolve = [i.resolved_at - i.declared_at for i in found if i.resolved_at]
        return messages.stats(count, len(found), _mean(to_ack), _mean(to_resolve), len(to_resolve))


def _mean(values: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=statistics.mean(v.total_seconds() for v in values)) if values else None


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, PagerDutyError):
        return exc.retryable
    if isinstance(exc, SlackApiError):
        return exc.response.status_code in (429, 500, 502, 503, 504) or exc.response.get("error") in (
            "ratelimited",
            "fatal_error",
        )
    return True


def register(app: App, ctx: BotContext) -> None:
    incidents = Incidents(ctx)
    for action in (messages.ACK, messages.ESCALATE, messages.RESOLVE):
        app.action(action)(incidents.on_button)
    app.shortcut(messages.SHORTCUT)(incidents.on_shortcut)
    if ctx.config.incidents.declare_on_probe_alert:
        ctx.signals.probe_alerted.connect(incidents.on_probe_alert)
    router = ctx.commands.router("/incident")
    router.add(
        "declare",
        incidents.declare_command,
        "open an incident and page the escalation policy",
        "SUMMARY [sev1|sev2|sev3]",
    )
    router.add("note", incidents.note_command, "add a note to an incident's timeline", "[ID] TEXT")
    router.add("list", incidents.list_command, "open incidents")
    router.add("stats", incidents.stats_command, "count, MTTA and MTTR", "[weeks]")
    ctx.scheduler.add("incidents.escalation", incidents.run_due)


def demo_scene(tour: Tour) -> None:
    from slackbot.testing.harness import TEAM

    james, vitaly = TEAM[0].id, TEAM[1].id
    tour.scene("An incident, paged up the escalation chain until acknowledged")
    tour.driver.command(
        vitaly, "/incident", "declare Checkout on CustomersDot returns 500 sev1", channel="s_fulfillment_status"
    )
    tour.narrate("nobody answers level 1 within its ack timeout")
    tour.wait(timedelta(minutes=5))
    tour.driver.click(james, "Acknowledge")
    tour.wait(timedelta(minutes=10))
    tour.driver.command(james, "/incident", "note rolled back the last deploy", channel="s_fulfillment_status")
    tour.driver.click(james, "Resolve", channel="s_fulfillment_status")
