"""Incidents from Slack: the buttons on incident messages and pages, the message shortcut, the
``/incident`` commands, and the probe alerts that declare incidents by themselves."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from handlers.incidents import messages, service
from handlers.incidents.config import IncidentsSection
from handlers.status.service import ProbeAlerted
from slackbot.commands import CommandCall, UsageError, weeks
from slackbot.context import BotContext
from slackbot.home import HomeChanged
from slackbot.interactions import Click, Shortcut
from slackbot.mrkdwn import escape, normalise, truncate
from slackbot.work import Work


class IncidentListeners:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.settings = ctx.config.section(IncidentsSection)
        self.zone = ZoneInfo(ctx.config.timezone)
        self.paging = service.Paging(ctx.pagerduty is not None, ctx.signals.send)

    def declare(
        self, work: Work, summary: str, severity: str, source: str, by: str, outage_id: int | None = None
    ) -> int:
        incident = service.declare(
            work,
            self.settings,
            self.ctx.channel("status"),
            summary,
            severity,
            source,
            by,
            paging=self.paging,
            outage_id=outage_id,
        )
        self.ctx.signals.send(work, HomeChanged(everyone=True))
        return incident.id

    def on_button(self, work: Work, click: Click) -> str | None:
        if not click.value.isdigit():
            return "That button is from an old message."
        incident = service.lock(work.session, int(click.value))
        if incident is None:
            return "That incident no longer exists."
        if click.action_id == messages.ACK:
            answer = service.acknowledge(work, incident, click.user_id)
        elif click.action_id == messages.ESCALATE:
            answer = service.escalate(work, incident, click.user_id, self.paging)
        else:
            answer = service.resolve(work, incident, click.user_id, self.zone)
        if answer is None and click.action_id != messages.ESCALATE:
            self.ctx.signals.send(work, HomeChanged(everyone=True))
        return answer

    def on_shortcut(self, work: Work, shortcut: Shortcut) -> str:
        link = self.ctx.permalink(shortcut.channel_id, shortcut.message_ts) if shortcut.message_ts else ""
        first_line = ((shortcut.message_text or "(no text)").strip().splitlines() or ["(no text)"])[0]
        summary = truncate(first_line, 150)  # Slack's own text: its mentions and links keep rendering
        if link:
            summary += f" (<{link}|from this message>)"
        number = self.declare(work, summary, service.DEFAULT_SEVERITY, "shortcut", shortcut.user_id)
        return f"Declared incident #{number} in <#{self.ctx.channel('status')}>."

    def on_probe_alert(self, work: Work, alerted: ProbeAlerted) -> None:
        if service.for_outage(work.session, alerted.outage_id) is None:
            summary = escape(f"{alerted.probe} is down: {alerted.error}")
            self.declare(work, summary, "sev1", "probe", "fulfillbot", outage_id=alerted.outage_id)

    # ----- commands -----------------------------------------------------------------------------------

    def declare_command(self, call: CommandCall) -> str:
        words = call.text.split()
        severity = (
            words.pop().lower() if words and words[-1].lower() in messages.SEVERITIES else service.DEFAULT_SEVERITY
        )
        if not words:
            raise UsageError("Say what is happening: `/incident declare CustomersDot checkout returns 500 sev1`.")
        with self.ctx.work() as work:
            summary = truncate(normalise(" ".join(words)), messages.SUMMARY_LENGTH)
            number = self.declare(work, summary, severity, "command", call.user_id)
        return f"Declared incident #{number} in <#{self.ctx.channel('status')}>."

    def note_command(self, call: CommandCall) -> str:
        first, _, rest = call.text.partition(" ")
        with self.ctx.work() as work:
            if first.lstrip("#").isdigit() and rest.strip():
                incident = service.lock(work.session, int(first.lstrip("#")))
                text = rest.strip()
            else:
                open_ones = service.open_incidents(work.session)
                incident = open_ones[0] if len(open_ones) == 1 else None
                text = call.text.strip()
                if incident is None and open_ones:
                    raise UsageError("Several incidents are open: say which, `/incident note 12 what happened`.")
            if incident is None or not text:
                raise UsageError("Give an open incident and a note: `/incident note 12 rolled back the deploy`.")
            service.note_command(work, incident, call.user_id, truncate(normalise(text), messages.NOTE_LENGTH))
            return f"Noted on incident #{incident.id}."

    def list_command(self, _call: CommandCall) -> str:
        with self.ctx.db.reading() as session:
            open_ones = service.open_incidents(session)
            links = {i.id: self.ctx.link(session, i.ref) for i in open_ones}
            return messages.listing(open_ones, self.ctx.clock.now(), links)

    def stats_command(self, call: CommandCall) -> str:
        count = weeks(call.text)
        since = self.ctx.clock.now() - timedelta(weeks=count)
        with self.ctx.db.reading() as session:
            found = service.declared_since(session, since)
        to_ack = [i.acked_at - i.declared_at for i in found if i.acked_at]
        to_resolve = [i.resolved_at - i.declared_at for i in found if i.resolved_at]
        return messages.stats(count, len(found), service.mean(to_ack), service.mean(to_resolve), len(to_resolve))


def register(ctx: BotContext) -> IncidentListeners:
    listeners = IncidentListeners(ctx)
    for action in (messages.ACK, messages.ESCALATE, messages.RESOLVE):
        ctx.interactions.on_click(action, listeners.on_button)
    ctx.interactions.on_shortcut(messages.SHORTCUT, listeners.on_shortcut)
    if listeners.settings.declare_on_probe_alert:
        ctx.signals.connect(ProbeAlerted, listeners.on_probe_alert)
    router = ctx.commands.router("/incident")
    router.add(
        "declare",
        listeners.declare_command,
        "open an incident and page the escalation policy",
        "SUMMARY [sev1|sev2|sev3]",
    )
    router.add("note", listeners.note_command, "add a note to an incident's timeline", "[ID] TEXT")
    router.add("list", listeners.list_command, "open incidents")
    router.add("stats", listeners.stats_command, "count, MTTA and MTTR", "[weeks]")
    return listeners
