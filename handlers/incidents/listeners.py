"""Incidents from Slack: the buttons on incident messages and pages, the message shortcut, the
``/incident`` commands, and the probe alerts that declare incidents by themselves."""

from __future__ import annotations

import fnmatch
import json
import re
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from handlers.blockers import api as blockers
from handlers.incidents import access, charts, followups, messages, service
from handlers.incidents.config import IncidentsSection
from handlers.incidents.declaring import declare, paging
from handlers.incidents.models import Incident
from handlers.status import api as status
from slackbot import usertext
from slackbot.charts import answer_with_chart
from slackbot.commands import CommandCall, UsageError, weeks
from slackbot.context import BotContext
from slackbot.home import HomeChanged
from slackbot.inbox import InboxEvent, Rejected
from slackbot.interactions import Click, Shortcut, Submission, text_at
from slackbot.mrkdwn import escape, mentioned_user, normalise, truncate
from slackbot.payload import whole
from slackbot.webhooks import WebhookRejected
from slackbot.work import Work

BUTTON_RULES = {
    messages.ACK: access.ACKNOWLEDGE,
    messages.ESCALATE: access.ESCALATE,
    messages.RESOLVE: access.RESOLVE,
    messages.STOP_DEPLOYS: access.STOP_DEPLOYS,
}
DEPLOY_TEXT = 300  # what the incident says of the failed deploy, so its button's value stays small


def on_button(ctx: BotContext, work: Work, click: Click) -> str | None:
    if not click.value.isdigit():
        return "That button is from an old message."
    incident = service.lock(work.session, int(click.value))
    if incident is None:
        return "That incident no longer exists."
    ctx.access.require(BUTTON_RULES[click.action_id], click.user_id, incident, work.session)
    if click.action_id == messages.ACK:
        answer = service.acknowledge(work, incident, click.user_id)
    elif click.action_id == messages.ESCALATE:
        answer = service.escalate(work, incident, click.user_id, paging(ctx))
    elif click.action_id == messages.STOP_DEPLOYS:
        answer = stop_deploys(ctx, work, incident, click.user_id, click.response_url)
    else:
        answer = service.resolve(work, incident, click.user_id, ctx.zone, file_issue=(ctx.gitlab is not None))
    if answer is None and click.action_id in (messages.ACK, messages.RESOLVE):
        ctx.signals.send(work, HomeChanged(everyone=True))
    return answer


def on_shortcut(ctx: BotContext, work: Work, shortcut: Shortcut) -> str:
    link = ctx.permalink(shortcut.channel_id, shortcut.message_ts) if shortcut.message_ts else ""
    first_line = ((shortcut.message_text or "(no text)").strip().splitlines() or ["(no text)"])[0]
    summary = truncate(usertext.slack(first_line), 150)
    if link:
        summary += f" (<{link}|from this message>)"
    number = declare(ctx, work, summary, service.DEFAULT_SEVERITY, "shortcut", shortcut.user_id)
    return f"Declared incident #{number} in <#{ctx.channel('status')}>."


def stop_deploys(ctx: BotContext, work: Work, incident: Incident, user: str, response_url: str) -> str | None:
    """`Stop auto-deploy`: the production::blocker issue, asked for through /blocker's own flow
    and linked both ways (its text names the incident; the incident shows the issue)."""
    if ctx.gitlab is None:
        return "GitLab is not configured (`GITLAB_TOKEN`), so I cannot open a production::blocker issue."
    if incident.blocker_id is not None:
        return f"Auto-deploy is already being stopped for incident #{incident.id}."
    link = ctx.link(work.session, incident.ref)
    reason = f"Incident #{incident.id}: {incident.summary}" + (f" ({link})" if link else "")
    blocker = blockers.request_open(work, ctx.config.gitlab.app_project, reason, user, response_url)
    incident.blocker_id = blocker.id
    service.note(work, incident, "auto-deploy stop", user, "production::blocker asked for")
    service.refresh(work, incident)
    return None


def on_blocker_opened(ctx: BotContext, work: Work, opened: blockers.BlockerOpened) -> None:
    incident = service.for_blocker(work.session, opened.blocker_id)
    if incident is not None:
        service.note(work, incident, "auto-deploy stopped", text=opened.url)
        service.say(work, incident, f":no_entry: Auto-deploy is stopped: <{opened.url}|production::blocker issue>.")
        service.refresh(work, incident)


def on_pipeline_failed(ctx: BotContext, work: Work, failed: status.FailedPipeline) -> status.Addition | None:
    """A failed deploy (a failed job matches ``deploy_jobs``) gets `Declare incident` on its post,
    or, with ``declare_on_deploy_failure``, an incident at once (once per pipeline)."""
    settings = ctx.config.section(IncidentsSection)
    deploying = [j for j in failed.failed_jobs if any(fnmatch.fnmatchcase(j, p) for p in settings.deploy_jobs)]
    if not deploying:
        return None
    deploy = service.FailedDeploy(
        f"{failed.project}#{failed.pipeline_id}",
        failed.url,
        truncate(
            f"pipeline #{failed.pipeline_id} of {escape(failed.project)} on `{escape(failed.ref)}`: "
            f"{escape(', '.join(deploying))}",
            DEPLOY_TEXT,
        ),
    )
    if settings.declare_on_deploy_failure:
        if service.for_deploy(work.session, deploy.key) is not None:
            return None
        summary = truncate(f"Deploy failed: {deploy.text}", messages.SUMMARY_LENGTH)
        number = declare(ctx, work, summary, service.DEFAULT_SEVERITY, "deploy", "fulfillbot", deploy=deploy)
        return status.Addition(line=f":rotating_light: Incident #{number} declared.")
    value = json.dumps({"key": deploy.key, "url": deploy.url, "text": deploy.text})[: messages.BUTTON_VALUE]
    return status.Addition(button=status.Button("Declare incident", messages.DECLARE_DEPLOY, value, "danger"))


def on_declare_deploy(ctx: BotContext, work: Work, click: Click) -> str | None:
    try:
        raw = json.loads(click.value)
        deploy = service.FailedDeploy(str(raw["key"]), str(raw["url"]), str(raw["text"]))
    except (ValueError, KeyError, TypeError):
        return "That button is from an old message."
    existing = service.for_deploy(work.session, deploy.key)
    if existing is not None:
        return f"Incident #{existing} is already declared for this pipeline."
    summary = truncate(f"Deploy failed: {deploy.text}", messages.SUMMARY_LENGTH)
    number = declare(ctx, work, summary, service.DEFAULT_SEVERITY, "deploy", click.user_id, deploy=deploy)
    return f"Declared incident #{number} in <#{ctx.channel('status')}>."


def incident_days(ctx: BotContext, session: Session, since: datetime) -> set[date]:
    return {i.declared_at.astimezone(UTC).date() for i in service.declared_since(session, since)}


def on_probe_alert(ctx: BotContext, work: Work, alerted: status.ProbeAlerted) -> None:
    if service.for_outage(work.session, alerted.outage_id) is None:
        summary = escape(f"{alerted.probe} is down: {alerted.error}")
        declare(ctx, work, summary, "sev1", "probe", "fulfillbot", outage_id=alerted.outage_id)


# ----- commands -----------------------------------------------------------------------------------


def declare_command(ctx: BotContext, call: CommandCall) -> str:
    words = call.text.split()
    severity = words.pop().lower() if words and words[-1].lower() in messages.SEVERITIES else service.DEFAULT_SEVERITY
    if not words:
        raise UsageError("Say what is happening: `/incident declare CustomersDot checkout returns 500 sev1`.")
    with ctx.work() as work:
        summary = truncate(normalise(" ".join(words)), messages.SUMMARY_LENGTH)
        number = declare(ctx, work, summary, severity, "command", call.user_id)
    return f"Declared incident #{number} in <#{ctx.channel('status')}>."


def target(ctx: BotContext, work: Work, text: str, example: str, resolved: bool = False) -> tuple[Incident, str]:
    """``[ID] REST``: the incident named, else the only open (or ``resolved``) one; and the rest."""
    first, _, rest = text.strip().partition(" ")
    if first.lstrip("#").isdigit():
        incident = service.lock(work.session, int(first.lstrip("#")))
        if incident is None:
            raise UsageError(f"There is no incident #{first.lstrip('#')}.")
        return incident, rest.strip()
    states = ("resolved",) if resolved else ("open", "acknowledged")
    candidates = service.incidents_in(work.session, states)
    if len(candidates) != 1:
        many = "Several incidents are" if candidates else "No incident is"
        raise UsageError(f"{many} {'resolved' if resolved else 'open'}: say which, `{example}`.")
    locked = service.lock(work.session, candidates[0].id)
    assert locked is not None
    return locked, text.strip()


def note_command(ctx: BotContext, call: CommandCall) -> str:
    with ctx.work() as work:
        incident, text = target(ctx, work, call.text, "/incident note 12 rolled back the deploy")
        if not text:
            raise UsageError("Give an open incident and a note: `/incident note 12 rolled back the deploy`.")
        service.note_command(work, incident, call.user_id, truncate(normalise(text), messages.NOTE_LENGTH))
        return f"Noted on incident #{incident.id}."


def update_command(ctx: BotContext, call: CommandCall) -> str:
    with ctx.work() as work:
        incident, text = target(ctx, work, call.text, "/incident update 12 the fix is deploying")
        ctx.access.require(access.UPDATE, call.user_id, incident, work.session)
        if not text:
            raise UsageError("Say what the status is: `/incident update 12 the fix is deploying`.")
        text = truncate(normalise(text), messages.NOTE_LENGTH)
        return service.post_update(work, incident, call.user_id, text) or f"Update posted on incident #{incident.id}."


def lead_command(ctx: BotContext, call: CommandCall) -> str:
    lead = person(
        ctx, call.text.split()[-1] if call.text.split() else "", "name the new lead, `/incident lead 12 @vitaly`"
    )
    with ctx.work() as work:
        incident, _rest = target(ctx, work, call.text, "/incident lead 12 @vitaly")
        ctx.access.require(access.LEAD, call.user_id, incident, work.session)
        answer = service.hand_lead(work, incident, call.user_id, lead)
        return answer or f"<@{lead}> now leads incident #{incident.id}."


def person(ctx: BotContext, token: str, example: str) -> str:
    """The active person a command names (a mention, a user ID, or ``@name`` of a known profile):
    asked of Slack before the unit of work, so nobody is made lead (or owner) who cannot be reached."""
    user = mentioned_user(token)
    if user is None and token.startswith("@"):
        with ctx.db.reading() as session:
            user = ctx.directory.named(session, token)
    if user is None:
        raise UsageError(f"`{token}` is not someone I know: {example}.")
    if not ctx.access.people.is_active_human(user):
        raise UsageError(f"`{token}` is not an active person in this workspace.")
    return user


def page_command(ctx: BotContext, call: CommandCall) -> str:
    """``/incident page ID @person | @group | ROTATION [note]``: whom is decided (and asked of Slack)
    before the unit of work."""
    words = call.text.split()
    if len(words) < 2 or not words[0].lstrip("#").isdigit():
        raise UsageError("Usage: `/incident page 12 @vitaly | @fulfillment-engineering | primary [note]`.")
    text = truncate(normalise(" ".join(words[2:])), messages.NOTE_LENGTH)
    named = mentioned_user(words[1])
    if named is not None and not ctx.access.people.is_active_human(named):
        raise UsageError(f"`{words[1]}` is not an active person in this workspace.")
    with ctx.work() as work:
        incident, _rest = target(ctx, work, words[0], "/incident page 12 @vitaly")
        ctx.access.require(access.PAGE, call.user_id, incident, work.session)
        users, group = page_target(ctx, work, words[1])
        answer = service.page_now(work, incident, users, group, call.user_id, text, paging(ctx))
        return answer or f"Paged {words[1]} for incident #{incident.id}."


def page_target(ctx: BotContext, work: Work, token: str) -> tuple[list[str], str]:
    """(people to DM, a user group's handle to ping): a person, a user group, or a rotation's
    person on call now."""
    user = mentioned_user(token)
    group = re.fullmatch(r"<!subteam\^\w+\|@?([\w.-]+)>", token)
    handle = group[1] if group is not None else ""
    if user is None and group is None and token.startswith("@"):
        user = ctx.directory.named(work.session, token)
        handle = "" if user is not None else token.lstrip("@")  # not a person's name: a user group's handle
    if handle:
        return sorted(ctx.access.groups.members(work.session, handle)), handle
    if user is not None:
        return [user], ""
    wanted = paging(ctx).who_is_on_call(work, token)
    if wanted.user is None:
        raise UsageError(f"`{token}` is neither a person, a user group nor a rotation with someone on call.")
    return [wanted.user], ""


def severity_command(ctx: BotContext, call: CommandCall) -> str:
    with ctx.work() as work:
        incident, rest = target(ctx, work, call.text, "/incident severity 12 sev1")
        ctx.access.require(access.SEVERITY, call.user_id, incident, work.session)
        severity = rest.lower()
        if severity not in messages.SEVERITIES:
            raise UsageError("Give sev1, sev2 or sev3: `/incident severity 12 sev1`.")
        answer = service.change_severity(work, incident, call.user_id, severity, paging(ctx))
        if answer is None:
            ctx.signals.send(work, HomeChanged(everyone=True))
        return answer or f"Incident #{incident.id} is now {severity}."


def issue_command(ctx: BotContext, call: CommandCall) -> str:
    if not (ctx.gitlab is not None):
        raise UsageError("GitLab is not configured (`GITLAB_TOKEN`), so there is no incident issue to file.")
    with ctx.work() as work:
        incident, _rest = target(ctx, work, call.text, "/incident issue 12", resolved=True)
        ctx.access.require(access.ISSUE, call.user_id, incident, work.session)
        if incident.state != "resolved":
            return f"Incident #{incident.id} is {incident.state}: its issue is filed when it is resolved."
        if incident.issue_state == "filing":
            return f"The issue for incident #{incident.id} is being filed."
        service.request_issue(work, incident)
        return f"Filing the GitLab incident issue for #{incident.id}; the link follows in its thread or channel."


FOLLOWUP_EXAMPLE = "`/incident followup 12 alert on checkout errors @vitaly`"


def followup_command(ctx: BotContext, call: CommandCall) -> str:
    """``/incident followup ID TEXT [@owner]``: the owner (the asker if none) is asked of Slack first."""
    words = call.text.split()
    if len(words) < 2 or not words[0].lstrip("#").isdigit():
        raise UsageError(f"Give the incident and what should be done: {FOLLOWUP_EXAMPLE}.")
    owner = call.user_id
    if len(words) > 2 and (words[-1].startswith("@") or mentioned_user(words[-1])):
        owner, words = person(ctx, words[-1], f"name the owner, {FOLLOWUP_EXAMPLE}"), words[:-1]
    if ctx.gitlab is None:
        raise UsageError("GitLab is not configured (`GITLAB_TOKEN`), so a follow-up cannot be filed as an issue.")
    with ctx.work() as work:
        incident, _rest = target(ctx, work, words[0], FOLLOWUP_EXAMPLE)
        return file_followup(ctx, work, incident, normalise(" ".join(words[1:])), owner, call.user_id)


def file_followup(ctx: BotContext, work: Work, incident: Incident, text: str, owner: str, user: str) -> str:
    ctx.access.require(access.FOLLOWUP, user, incident, work.session)
    project = ctx.config.section(IncidentsSection).issue_project(ctx.config)
    followups.create(work, incident, truncate(text, messages.FOLLOWUP_TEXT), owner, user, project)
    return f"Filing the follow-up of incident #{incident.id} in {project}, owned by <@{owner}>."


def followup_form(ctx: BotContext, click: Click) -> dict[str, Any] | str:
    if ctx.gitlab is None:
        return "GitLab is not configured (`GITLAB_TOKEN`), so a follow-up cannot be filed as an issue."
    with ctx.db.reading() as session:
        incident = session.get(Incident, int(click.value)) if click.value.isdigit() else None
        if incident is None:
            return "That incident no longer exists."
        ctx.access.require(access.FOLLOWUP, click.user_id, incident, session)
        return messages.followup_modal(incident)


def on_followup_submit(ctx: BotContext, work: Work, submission: Submission) -> dict[str, str] | None:
    text = text_at(submission.values, "text", "value", "value").strip()
    if not text:
        return {"text": "Say what should be done."}
    incident = service.lock(work.session, int(submission.private_metadata or 0))
    if incident is None:
        return {"text": "That incident no longer exists."}
    owner = text_at(submission.values, "owner", "value", "selected_user") or submission.user_id
    file_followup(ctx, work, incident, escape(text), owner, submission.user_id)  # a modal's text is raw
    return None


def on_issue(ctx: BotContext, work: Work, item: InboxEvent) -> None:
    try:
        event = issue_from_webhook(item.payload)
    except WebhookRejected as exc:
        raise Rejected(str(exc)) from None
    followups.heard_issue(work, *event)


def issue_from_webhook(payload: dict[str, Any]) -> tuple[str, int, str]:
    """GitLab's Issue Hook, as "Issue events" documents it: (project, iid, state); else rejected."""
    try:
        attributes = payload["object_attributes"]
        return str(payload["project"]["path_with_namespace"]), whole(attributes["iid"]), str(attributes["state"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WebhookRejected(f"not an issue event: {exc!r}") from None


def list_command(ctx: BotContext, call: CommandCall) -> str:
    if call.text.strip() == "--resolved":
        with ctx.db.reading() as session:
            return messages.resolved_listing(service.recently_resolved(session, messages.LISTED))
    if call.text.strip():
        raise UsageError(f"I don't know `{call.text.strip()}`: `/incident list` or `/incident list --resolved`.")
    with ctx.db.reading() as session:
        open_ones = service.open_incidents(session)
        links = {i.id: ctx.link(session, i.ref) for i in open_ones}
        return messages.listing(open_ones, ctx.clock.now(), links)


def stats_command(ctx: BotContext, call: CommandCall) -> str:
    """The figures privately, and the chart in the asker's DM (an ephemeral answer has no files)."""
    count = weeks(call.text)
    now = ctx.clock.now()
    with ctx.db.reading() as session:
        found = service.declared_since(session, now - timedelta(weeks=count))
    to_ack = [i.acked_at - i.declared_at for i in found if i.acked_at]
    to_resolve = [i.resolved_at - i.declared_at for i in found if i.resolved_at]
    text = messages.stats(count, len(found), service.mean(to_ack), service.mean(to_resolve), len(to_resolve))
    chart = charts.data(found, now, count, ctx.zone)
    with ctx.work() as work:
        return answer_with_chart(
            work.out, call.user_id, charts.NAME, chart, "Incidents per week", charts.alt(chart), text
        )


def register(ctx: BotContext) -> None:
    settings = ctx.config.section(IncidentsSection)
    access.register(ctx.access, settings)
    for action in (messages.ACK, messages.ESCALATE, messages.RESOLVE, messages.STOP_DEPLOYS):
        ctx.interactions.on_click(action, partial(on_button, ctx))
    ctx.interactions.on_click(messages.DECLARE_DEPLOY, partial(on_declare_deploy, ctx))
    addition: status.AdditionFor = partial(on_pipeline_failed, ctx)
    days: status.IncidentDays = partial(incident_days, ctx)
    ctx.providers.provide(status.PIPELINE_FAILED, addition)
    ctx.providers.provide(status.INCIDENT_DAYS, days)
    ctx.signals.connect(blockers.BlockerOpened, partial(on_blocker_opened, ctx))
    ctx.interactions.on_shortcut(messages.SHORTCUT, partial(on_shortcut, ctx))
    if settings.declare_on_probe_alert:
        ctx.signals.connect(status.ProbeAlerted, partial(on_probe_alert, ctx))
    router = ctx.commands.router("/incident")
    router.add(
        "declare",
        partial(declare_command, ctx),
        "open an incident and page the escalation policy",
        "SUMMARY [sev1|sev2|sev3]",
    )
    router.add("note", partial(note_command, ctx), "add a note to an incident's timeline", "[ID] TEXT")
    router.add(
        "update", partial(update_command, ctx), "post a status update (here and in the status channel)", "[ID] TEXT"
    )
    router.add("lead", partial(lead_command, ctx), "hand the lead over", "[ID] @user")
    router.add(
        "page", partial(page_command, ctx), "page someone into an incident now", "ID @user|@group|ROTATION [note]"
    )
    router.add("severity", partial(severity_command, ctx), "change the severity", "[ID] sev1|sev2|sev3")
    router.add(
        "issue", partial(issue_command, ctx), "file (or file again) the GitLab incident issue of a resolved one", "[ID]"
    )
    router.add(
        "list",
        partial(list_command, ctx),
        "open incidents; `--resolved`: resolved ones and their issues",
        "[--resolved]",
    )
    router.add("stats", partial(stats_command, ctx), "count, MTTA and MTTR", "[weeks]")
    router.add(
        "followup",
        partial(followup_command, ctx),
        "file a follow-up as a GitLab issue linked to the incident's (owner: you, if nobody)",
        "ID TEXT [@owner]",
    )
    ctx.interactions.on_click_open(messages.FOLLOWUP, partial(followup_form, ctx))
    ctx.interactions.on_submit(messages.FOLLOWUP_CALLBACK, partial(on_followup_submit, ctx))
    ctx.on_webhook("issue", issue_from_webhook, partial(on_issue, ctx))
