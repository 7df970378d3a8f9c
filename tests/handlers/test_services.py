"""Each capability's service on its own: state changes on a session at a fixed time, and the effects
they record in the outbox. No bot, no HTTP, no Slack."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from handlers.incidents import service as incidents
from handlers.incidents.config import EscalationLevel, IncidentsSection
from handlers.incidents.models import Incident
from handlers.pairing import service as pairing
from handlers.pairing.config import PairingSection
from handlers.questions import service as questions
from handlers.questions.config import AutoReply, QuestionsSection
from handlers.standups import service as standups
from handlers.status import service as status
from handlers.status.config import Probe
from handlers.status.probes import CheckResult
from slackbot.outbox import Priority
from slackbot.slack_effects import SlackCall
from slackbot.work import Work
from tests.conftest import Units

pytestmark = pytest.mark.both_databases

JAMES, VITALY, ALICE = "U0JAMES01", "U0VITALY1", "U0ALICE01"
POLICY = IncidentsSection(
    repeat=0,
    escalation=[
        EscalationLevel(users=[JAMES, VITALY], ack_timeout=timedelta(minutes=5)),
        EscalationLevel(usergroup="fulfillment-engineering", ack_timeout=timedelta(minutes=10)),
    ],
)


def declare_checkout(work: Work, pagerduty: bool) -> Incident:
    paging = incidents.Paging(pagerduty=pagerduty)
    return incidents.declare(work, POLICY, "C0STATUS1", "Checkout down", "sev1", "command", ALICE, paging=paging)


def test_declaring_records_the_message_then_level_1_pages(units: Units) -> None:
    with units.work() as work:
        incident = declare_checkout(work, pagerduty=True)
    rows = units.outbox()
    assert [(r.kind, r.lane) for r in rows] == [
        ("slack", "slack:C0STATUS1"),
        ("incidents.page", f"slack:{JAMES}"),
        ("incidents.page", f"slack:{VITALY}"),
        ("pagerduty", "pagerduty:fulfillbot-incident-1"),
    ]
    assert all(r.priority == Priority.URGENT for r in rows)
    assert rows[0].ref == incident.ref and rows[0].args["params"]["text"].endswith("Open: paged level 1 of 2")
    assert {r.group for r in rows[1:]} == {incident.pages}
    assert rows[1].wait_for == incident.ref and rows[3].args["payload"]["severity"] == "critical"


def test_acknowledging_cancels_unsent_pages_and_closes_sent_ones(units: Units) -> None:
    with units.work() as work:
        declare_checkout(work, pagerduty=True)
    with units.work() as work:
        jamess_page = next(r for r in work.out.in_group("incident:1:pages") if r.lane == f"slack:{JAMES}")
        jamess_page.state = "done"
        trigger = next(r for r in work.out.in_group("incident:1:pages") if r.kind == "pagerduty")
        trigger.state = "done"
    with units.work() as work:
        incident = incidents.lock(work.session, 1)
        assert incident is not None
        assert incidents.acknowledge(work, incident, VITALY) is None
        assert incidents.acknowledge(work, incident, JAMES) == "Incident #1 is already acknowledged."
    states = {(r.kind, r.lane): r.state for r in units.outbox() if r.group == "incident:1:pages"}
    assert states[("incidents.page", f"slack:{VITALY}")] == "cancelled"
    added = [(r.kind, r.lane, r.args.get("params", {}).get("text", r.args.get("action"))) for r in units.outbox()[4:]]
    assert (
        "slack",
        f"slack:{JAMES}",
        ":eyes: *Incident #1 (sev1): Checkout down*\nAcknowledged by <@U0VITALY1>: no action needed from you.",
    ) in added, "the page James got is closed"
    assert ("pagerduty", "pagerduty:fulfillbot-incident-1", "acknowledge") in added


def test_a_due_step_pages_the_next_level_and_the_last_step_says_escalation_stopped(units: Units) -> None:
    with units.work() as work:
        incidents.declare(
            work, POLICY, "C0STATUS1", "Checkout down", "sev1", "command", ALICE, paging=incidents.Paging()
        )
    units.now += timedelta(minutes=5)
    with units.work() as work:
        assert incidents.due(work.session, units.now) == [1]
        incidents.step_if_due(work, 1, paging=incidents.Paging())
    units.now += timedelta(minutes=10)
    with units.work() as work:
        incidents.step_if_due(work, 1, paging=incidents.Paging())
        incidents.step_if_due(work, 1, paging=incidents.Paging())
    said = [text for _, text in units.said()]
    assert (
        said.count(
            "<!usergroup-handle^fulfillment-engineering> please help with *Incident #1 (sev1): Checkout down*: "
            "nobody has acknowledged it yet."
        )
        == 1
    )
    assert [t for t in said if t.startswith(":warning:")] == [
        ":warning: Escalation of incident #1 stopped: nobody acknowledged after 1 round of the policy. "
        "It is still open."
    ]
    updates = [r for r in units.outbox() if r.args.get("method") == "chat.update"]
    assert len(updates) == 1, "one pending update of the message, coalesced"
    assert updates[0].args["params"]["text"].endswith("Open: escalation stopped, nobody acknowledged")
    with units.work() as work:
        entries = [e.kind for e in incidents.timeline(work.session, incidents.lock(work.session, 1))]  # type: ignore[arg-type]
    assert entries == ["declared", "paged", "paged", "escalation stopped"]


def test_a_new_question_gets_its_auto_replies_once(units: Units) -> None:
    settings = QuestionsSection(autoreplies=[AutoReply(keywords=["license"], reply="Use the form.")])
    posted = questions.Posted("C0QUEST01", "1.000001", ALICE, "A license question", None, units.now)
    with units.work() as work:
        assert questions.start(work, posted, "https://x/p1", settings) is not None
        assert questions.start(work, posted, "https://x/p1", settings) is None, "the same message twice"
    assert units.said() == [("slack:C0QUEST01", "Use the form.")]
    [row] = units.outbox()
    assert row.args["params"]["thread_ts"] == "1.000001"


def test_standup_answers_post_the_days_parent_once_and_an_edit_updates_the_reply(units: Units) -> None:
    day = date(2026, 11, 23)
    with units.work() as work:
        entry = standups.record_answers(work.session, JAMES, day, ["done"], False, units.now)
        standups.post_answers(work, entry, "C0DAILY01", "first")
        other = standups.record_answers(work.session, VITALY, day, ["done too"], False, units.now)
        standups.post_answers(work, other, "C0DAILY01", "vitaly's")
    with units.work() as work:
        entry = standups.record_answers(work.session, JAMES, day, ["done", "more"], False, units.now)
        standups.post_answers(work, entry, "C0DAILY01", "edited")
    rows = units.outbox()
    calls = [SlackCall.decode(r.args) for r in rows]
    assert [(r.ref, c.method, c.thread_ref, c.update_ref) for r, c in zip(rows, calls, strict=True)] == [
        ("standup-day:2026-11-23", "chat.postMessage", "", ""),
        (f"standup:{JAMES}:2026-11-23", "chat.postMessage", "standup-day:2026-11-23", ""),
        (f"standup:{VITALY}:2026-11-23", "chat.postMessage", "standup-day:2026-11-23", ""),
        (f"standup:{JAMES}:2026-11-23", "chat.update", "", f"standup:{JAMES}:2026-11-23"),
    ]
    assert rows[-1].lane == "slack:C0DAILY01", "the edit waits behind the post it edits"


def test_a_claim_by_the_requester_is_refused_and_the_first_other_claim_wins(units: Units) -> None:
    with units.work() as work:
        request = pairing.create(work, "C0ENGIN01", ALICE, "Zuora sync")
    with units.work() as work:
        locked = pairing.lock(work.session, request.id)
        assert locked is not None
        assert pairing.claim(work, locked, ALICE) == "That is your own request: someone else has to claim it."
        assert pairing.claim(work, locked, JAMES) is None
        assert pairing.claim(work, locked, VITALY) == f"Already claimed by <@{JAMES}>."
    kinds = [(r.kind, r.args.get("method")) for r in units.outbox()]
    assert kinds == [("slack", "chat.postMessage"), ("slack", "chat.update"), ("slack.group_dm", None)]


def test_an_unclaimed_request_is_bumped_once_then_expires(units: Units) -> None:
    settings = PairingSection(bump_after=timedelta(hours=2), expire_after=timedelta(hours=8))
    with units.work() as work:
        pairing.create(work, "C0ENGIN01", ALICE, "Zuora sync")
    for hours in (2, 3, 8, 9):
        units.now += timedelta(hours=hours) - (units.now - units.now.replace(hour=9))
        with units.work() as work:
            for request_id in pairing.due_for_ageing(work.session, units.now, settings):
                request = pairing.lock(work.session, request_id)
                assert request is not None
                pairing.age(work, request, settings)
    said = units.said()
    assert sum("Still looking for a pair" in text for _, text in said) == 1
    assert said[-1][0] == f"slack:{ALICE}" and "has expired" in said[-1][1]


def test_a_probe_alerts_after_n_failures_updates_in_place_and_recovers_in_the_thread(units: Units) -> None:
    probe = Probe(name="CustomersDot", url="https://customers.example.com", failures_before_alert=2)
    failing = CheckResult(False, "HTTP 500 (expected 200)", 12, None)
    alerts = []
    for _ in range(3):
        units.now += timedelta(minutes=1)
        with units.work() as work:
            alerts.append(status.record_check(work, probe, failing, "C0STATUS1", units.now))
    units.now += timedelta(minutes=1)
    with units.work() as work:
        assert status.record_check(work, probe, CheckResult(True, "", 10, None), "C0STATUS1", units.now) is None
    assert [a.outage_id if a else None for a in alerts] == [None, 1, None], "one alert per outage"
    rows = units.outbox()
    assert [(SlackCall.decode(r.args).method, r.ref, SlackCall.decode(r.args).thread_ref) for r in rows] == [
        ("chat.postMessage", "outage:1", ""),
        ("chat.update", "outage:1", ""),
        ("chat.postMessage", None, "outage:1"),
    ], "the pending updates of the alert coalesced into its last state"
    assert rows[1].args["params"]["text"].startswith(":large_green_circle: *CustomersDot recovered* after 3m")
    assert all(r.priority == Priority.ALERT for r in rows)


def test_home_sections_are_marked_stale_in_one_statement(units: Units) -> None:
    from handlers.home import service as home
    from handlers.home.models import HomeVisit
    from slackbot.home import HomeChanged

    with units.work() as work:
        for user in (JAMES, VITALY, ALICE):
            home.opened(work, user)
    with units.work() as work:
        home.changed(work, HomeChanged(everyone=True))
        assert len(home.stale(work.session)) == 3
        home.queue_stale(work, home.stale(work.session))
        assert home.stale(work.session) == []
        assert work.session.scalars(select(HomeVisit.stale_at)).all() == [None, None, None]
    publishes = [r for r in units.outbox() if r.kind == home.Publish.KIND]
    assert len(publishes) == 3, "one pending publish per person: the stale ones joined those already pending"


def test_an_intake_request_is_stored_with_its_filing_which_waits_for_the_acknowledgement(units: Units) -> None:
    from handlers.intake import service as intake

    answers = {
        "title": "Seat true-ups",
        "problem": "p",
        "requester": "r",
        "impact": "i",
        "urgency": "high",
        "pm": JAMES,
    }
    assert intake.problems({**answers, "problem": " ", "urgency": "soon"}) == {
        "problem": "This is needed.",
        "urgency": "Pick one of the options.",
    }
    with units.work() as work:
        request = intake.submit(work, ALICE, answers)
    [acknowledgement, filing] = units.outbox()
    assert acknowledgement.ref == request.acknowledgement and acknowledgement.lane == f"slack:{ALICE}"
    assert (filing.kind, filing.args, filing.wait_for) == (
        "intake.file",
        {"v": 1, "request": 1},
        request.acknowledgement,
    )
    assert intake.FileIssue.decode(filing.args) == intake.FileIssue(request.id), "an ID, read again when sent"
    assert filing.wait_until is None, "the issue links back to the DM, so it waits for it"


def test_a_blocker_is_asked_of_gitlab_through_the_outbox(units: Units) -> None:
    from handlers.blockers import service as blockers

    with units.work() as work:
        blocker = blockers.request_open(work, "group/app", "totals are wrong", JAMES, "https://hooks/respond/1")
        assert blockers.latest_open(work.session) is None, "not open until GitLab has it"
    with units.work() as work:
        opened = blockers.opened(work, blocker.id, 7, "Production blocker: totals are wrong", "https://gitlab/7")
        assert opened is not None and blockers.latest_open(work.session) is opened
    with units.work() as work:
        blockers.lifted(work, "group/app", 7, VITALY)
        assert blockers.latest_open(work.session) is None
    assert [(r.kind, r.lane) for r in units.outbox()] == [("blockers.open", "gitlab:group/app")]


@pytest.mark.parametrize("closed_by", ["anyone", "asker"])
def test_a_new_question_picks_up_the_replies_and_check_marks_that_came_first(units: Units, closed_by: str) -> None:
    """One lookup finds the earliest reply from someone else and the earliest qualifying ✅."""
    settings = QuestionsSection(closed_by=closed_by)
    at = units.now
    with units.work() as work:
        for user, ts, minutes in ((ALICE, "2.000002", 1), (JAMES, "2.000003", 5), (VITALY, "2.000004", 3)):
            reply = questions.Posted("C0QUEST01", ts, user, "an answer", "1.000001", at + timedelta(minutes=minutes))
            questions.record_reply(work.session, reply)
        for user, minutes in ((VITALY, 7), (ALICE, 9)):
            reaction = questions.Reaction(
                "C0QUEST01", "1.000001", user, "white_check_mark", at + timedelta(minutes=minutes), True
            )
            questions.react(work.session, reaction, settings)
    posted = questions.Posted("C0QUEST01", "1.000001", ALICE, "A question", None, at)
    with units.work() as work:
        tracked = questions.start(work, posted, "https://x/p1", settings)
        assert tracked is not None and not tracked.is_open
        question = questions.find(work.session, "C0QUEST01", "1.000001")
        assert question is not None and question.id == tracked.id
        assert (question.first_reply_by, question.first_reply_at) == (VITALY, at + timedelta(minutes=3))
        expected = (VITALY, 7) if closed_by == "anyone" else (ALICE, 9)
        assert (question.closed_by, question.closed_at) == (expected[0], at + timedelta(minutes=expected[1]))
