"""Who may act on incidents (CONTRACT.md, "Who may do what"), as roles and rules of the one
authorization module (``slackbot.access``).

- ``incidents.escalation``: the people the configured escalation policy can page (a level's users,
  the members of a level's user group as Slack lists them, the members of a rotation a level names).
  Blockers, silences and maintenance windows are theirs too.
- ``incidents.responder`` (about one incident): the people *its* policy can page (the policy as it
  was when it opened), whoever was paged for it or handed its lead, and its lead.
Anyone in the workspace may declare an incident and add a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from sqlalchemy.orm import Session

from handlers.incidents import service
from handlers.incidents.config import IncidentsSection
from handlers.incidents.models import Incident
from handlers.incidents.policy import Level, levels, snapshot
from slackbot.access import Access, Rule

ESCALATION = "incidents.escalation"
RESPONDER = "incidents.responder"
ROTATION_MEMBER = "oncall.member"  # the on-call capability's role (about a rotation's name)
RESPONDERS = "its responders (the people its escalation policy can page, whoever was paged for it, and its lead)"


def responders_may(doing: str) -> Rule:
    return Rule(doing, RESPONDERS, (RESPONDER,))


ACKNOWLEDGE = responders_may("acknowledge an incident")
ESCALATE = responders_may("escalate an incident")
RESOLVE = responders_may("resolve an incident")
SEVERITY = responders_may("change an incident's severity")
LEAD = responders_may("hand an incident's lead over")
UPDATE = responders_may("post an incident's status update")
ISSUE = responders_may("file an incident's GitLab issue")
STOP_DEPLOYS = responders_may("stop auto-deploy for an incident")
PAGE = responders_may("page people into an incident")
FOLLOWUP = responders_may("file an incident's follow-up")


def can_page(access: Access, session: Session, chain: Iterable[Level], user: str) -> bool:
    """Whether an escalation chain can page ``user``."""
    for level in chain:
        if user in level.users or access.in_group(session, level.usergroup, user):
            return True
        if level.oncall and access.holds(session, ROTATION_MEMBER, user, level.oncall):
            return True
    return False


def in_escalation(access: Access, configured: list[Level], session: Session, user: str, _subject: object) -> bool:
    return can_page(access, session, configured, user)


def responder(access: Access, session: Session, user: str, incident: object) -> bool:
    if not isinstance(incident, Incident):
        return False
    return service.is_responder(session, incident, user) or can_page(access, session, levels(incident.policy), user)


def register(access: Access, section: IncidentsSection) -> None:
    configured = levels(snapshot(section))
    for level in configured:
        access.groups.watch(level.usergroup)
    access.add_role(ESCALATION, partial(in_escalation, access, configured))
    access.add_role(RESPONDER, partial(responder, access))
