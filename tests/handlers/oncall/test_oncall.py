"""/oncall, handoffs, swaps, cover and escalation to whoever is on call, against the Slack simulator
with a fake clock. The harness starts on Monday 2026-11-23 08:00 UTC; the rotation hands over on
Mondays at 10:00 Madrid (09:00 UTC in winter): James from 23 Nov, Vitaly from 30 Nov, Alice from 7 Dec."""

import copy
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from handlers.incidents.config import EscalationLevel, IncidentsSection
from handlers.oncall.config import OncallSection, Rotation
from handlers.oncall.listeners import CANCEL, CHANGE, COVER
from slackbot.config import Config, Person, SlackSection
from slackbot.testing.harness import TEAM, Harness

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
ENGINEERING, STATUS = "s_fulfillment_engineering", "s_fulfillment_status"
ROTATION = Rotation(
    name="primary",
    users=[JAMES, VITALY, ALICE],
    handoff="mon 10:00",
    start=date(2026, 11, 23),
    timezone="Europe/Madrid",
    usergroup="fulfillment-oncall",
    announce="engineering",
)
POLICY = IncidentsSection(
    declare_on_probe_alert=False,
    repeat=0,
    escalation=[
        EscalationLevel(users=[ADMIN], ack_timeout=timedelta(minutes=5)),
        EscalationLevel(oncall="primary", ack_timeout=timedelta(minutes=5)),
        EscalationLevel(users=[BOB], ack_timeout=timedelta(minutes=10)),
    ],
)
CONFIG = Config.of(
    OncallSection([ROTATION]),
    POLICY,
    slack=SlackSection(admins=[ADMIN]),
    people=[Person(slack=p.id) for p in TEAM],  # timezones from their Slack profiles
)


@pytest.fixture
def harness(database_url: str) -> Iterator[Harness]:
    with Harness(database_url, CONFIG) as running:
        running.sim.add_usergroup("fulfillment-oncall", [ADMIN])
        yield running


def at(harness: Harness, *when: int) -> None:
    """Move the clock to this UTC time and tick once, as the first tick after it would."""
    harness.advance(datetime(*when, tzinfo=UTC) - harness.clock.now())  # type: ignore[misc]


def answer(harness: Harness, user: str, text: str) -> str:
    harness.driver.command(user, "/oncall", text, channel=ENGINEERING)
    return str(harness.sim.ephemerals_for(user)[-1]["text"])


def dm_texts(harness: Harness, user: str, containing: str) -> list[str]:
    return [m["text"] for m in harness.sim.dms(user) if containing in m["text"]]


def members(harness: Harness, handle: str) -> list[str]:
    return next(g["users"] for g in harness.sim.usergroups.values() if g["handle"] == handle)


def test_each_handoff_dms_both_announces_and_moves_the_user_group_once_even_late_and_across_a_restart(
    harness: Harness,
) -> None:
    at(harness, 2026, 11, 23, 8, 59)
    assert dm_texts(harness, JAMES, "on call") == [] and members(harness, "fulfillment-oncall") == [ADMIN]
    at(harness, 2026, 11, 23, 9, 0)
    assert dm_texts(harness, JAMES, "You are on call") == [
        ":pager: You are on call for *primary* until Mon 30 Nov 10:00 CET.\n"
        "*Open incidents:*\n• none\n*Probes down:*\n• none"
    ]
    assert [m["text"] for m in harness.sim.messages(ENGINEERING)] == [
        f":pager: On call for primary: <@{JAMES}> until Mon 30 Nov 10:00 CET"
    ]
    assert members(harness, "fulfillment-oncall") == [JAMES]

    harness.driver.command(BOB, "/incident", "declare Renewals fail for EU customers", channel=STATUS)
    harness.advance(timedelta(minutes=1))
    harness.restart()
    harness.advance(timedelta(minutes=1))
    at(harness, 2026, 11, 30, 12, 0)  # the bot missed the 09:00 tick: the handoff still happens, once
    for _ in range(3):
        harness.advance(timedelta(minutes=1))
    harness.restart()
    harness.advance(timedelta(minutes=1))

    incoming = dm_texts(harness, VITALY, "You are on call")
    assert incoming == [
        ":pager: You are on call for *primary* until Mon 7 Dec 10:00 CET.\n"
        "*Open incidents:*\n• #1 sev2: Renewals fail for EU customers (open)\n*Probes down:*\n• none"
    ]
    assert dm_texts(harness, JAMES, "shift is over") == [
        f":wave: Your primary shift is over: <@{VITALY}> is on call until Mon 7 Dec 10:00 CET. Thank you!\n"
        "*Open incidents:*\n• #1 sev2: Renewals fail for EU customers (open)\n*Probes down:*\n• none"
    ]
    announcements = [m["text"] for m in harness.sim.messages(ENGINEERING) if m["text"].startswith(":pager:")]
    assert announcements[1:] == [f":pager: On call for primary: <@{VITALY}> until Mon 7 Dec 10:00 CET"]
    assert members(harness, "fulfillment-oncall") == [VITALY]
    assert len(dm_texts(harness, JAMES, "You are on call")) == 1


def test_oncall_shows_now_and_next_in_the_viewers_timezone_and_the_schedule(harness: Harness) -> None:
    at(harness, 2026, 11, 23, 12, 0)
    assert answer(harness, ALICE, "") == (
        f"*primary*: now <@{JAMES}> until Mon 30 Nov 20:00 AEDT; next <@{VITALY}> from Mon 30 Nov 20:00 AEDT"
    )
    assert answer(harness, BOB, "schedule primary 2") == "\n".join(
        [
            "*primary*, the next 2 week(s):",
            f"• Mon 23 Nov 04:00 PST → Mon 30 Nov 01:00 PST: <@{JAMES}>",
            f"• Mon 30 Nov 01:00 PST → Mon 7 Dec 01:00 PST: <@{VITALY}>",
            f"• Mon 7 Dec 01:00 PST → Mon 7 Dec 04:00 PST: <@{ALICE}>",
        ]
    )
    assert answer(harness, BOB, "schedule secondary").startswith(
        "There is no rotation `secondary` (rotations: `primary`)."
    )
    assert answer(harness, BOB, "schedule primary 99").startswith("`99` is not a number of weeks")
    assert answer(harness, BOB, "when").startswith("I don't know `when`.")
    assert "`/oncall swap ROTATION @user`" in answer(harness, BOB, "help")


@pytest.mark.both_databases
def test_overrides_cover_a_stretch_only_for_people_in_the_rotation_or_admins(harness: Harness) -> None:
    at(harness, 2026, 11, 23, 12, 0)
    vitaly = f"<@{VITALY}|vitaly>"
    assert answer(harness, BOB, f"override primary {vitaly} 2026-11-25 2026-11-26") == CHANGE.refusal()
    assert answer(harness, JAMES, f"override primary <@{BOB}> 2026-11-25 2026-11-26").startswith(
        f"<@{BOB}> is not in the rotation primary; only an admin can put them on call."
    )
    assert answer(harness, JAMES, f"override primary {vitaly} 2026-11-25 2026-11-26") == (
        f"Override `1`: <@{VITALY}> is on call for primary from Wed 25 Nov 00:00 CET to Fri 27 Nov 00:00 CET."
    )
    assert dm_texts(harness, VITALY, "Override `1`") == [
        f"Override `1`: <@{VITALY}> is on call for primary from Wed 25 Nov 00:00 CET to Fri 27 Nov 00:00 CET."
    ]
    assert answer(harness, ADMIN, f"override primary <@{ALICE}> 2026-11-25T14:00 2026-11-25T18:00").startswith(
        "Override `2`"
    ), "an admin may put someone outside the rotation on call"
    at(harness, 2026, 11, 25, 12, 0)
    assert answer(harness, JAMES, "").startswith(f"*primary*: now <@{VITALY}> (override) until Wed 25 Nov 14:00 CET;")
    at(harness, 2026, 11, 25, 14, 0)
    assert answer(harness, JAMES, "").startswith(f"*primary*: now <@{ALICE}> (override) until Wed 25 Nov 18:00 CET;")
    listed = answer(harness, VITALY, "overrides")
    assert listed.splitlines()[1:] == [
        f"• `1` primary: <@{VITALY}> from Wed 25 Nov 00:00 CET to Fri 27 Nov 00:00 CET (override, by <@{JAMES}>)",
        f"• `2` primary: <@{ALICE}> from Wed 25 Nov 14:00 CET to Wed 25 Nov 18:00 CET (override, by <@{ADMIN}>)",
    ]
    assert answer(harness, BOB, "override cancel 1") == CANCEL.refusal()
    assert answer(harness, JAMES, "override cancel 2") == CANCEL.refusal(), "a member cannot cancel an admin's"
    assert answer(harness, ALICE, "override cancel 2") == (
        f"Override 2 is cancelled: <@{ALICE}> no longer covers primary."
    ), "the person it puts on call may"
    assert answer(harness, ADMIN, "override cancel 2") == "There is no override 2. `/oncall overrides` lists them."
    assert answer(harness, JAMES, "").startswith(f"*primary*: now <@{VITALY}> (override) until Fri 27 Nov 00:00 CET;")

    bob = vitaly
    assert answer(harness, JAMES, "override primary bob 2026-11-25 2026-11-26").startswith("`bob` is not a person")
    assert answer(harness, JAMES, f"override primary {bob} 2026-11-26 2026-11-25T10:00").startswith(
        "The override must end after it starts"
    )
    assert answer(harness, JAMES, f"override primary {bob} tomorrow 2026-11-26").startswith(
        "`tomorrow` is not a date or time"
    )
    assert answer(harness, JAMES, "override primary").startswith("Usage: `/oncall override ROTATION @user FROM TO`")


@pytest.mark.both_databases
def test_a_swap_trades_the_next_shifts_once_the_other_person_accepts(harness: Harness) -> None:
    at(harness, 2026, 11, 23, 12, 0)
    assert answer(harness, BOB, f"swap primary <@{JAMES}>") == CHANGE.refusal()
    assert answer(harness, JAMES, f"swap primary <@{VITALY}>") == (
        f"Asked <@{VITALY}> to swap: they get a DM with an `Accept` button."
    )
    [offer] = [m for m in harness.sim.dms(VITALY) if "asks you to take" in m["text"]]
    assert offer["text"] == (
        f":arrows_counterclockwise: <@{JAMES}> asks you to take their primary shift from Mon 14 Dec 10:00 CET,"
        " and takes yours from Mon 30 Nov 10:00 CET in return."
    )
    stale = copy.deepcopy(offer)
    harness.driver.click(BOB, "Accept", seen=stale)
    assert harness.sim.ephemerals_for(BOB)[-1]["text"] == f"This swap was offered to <@{VITALY}>."
    harness.driver.click(VITALY, "Accept")
    assert dm_texts(harness, JAMES, "accepted") == [
        f":white_check_mark: <@{VITALY}> accepted the primary swap with <@{JAMES}>."
    ]
    assert "Accept" not in str(harness.sim.dms(VITALY)[-1].get("blocks")), "the offer loses its button"
    harness.driver.click(VITALY, "Accept", seen=stale)
    assert harness.sim.ephemerals_for(VITALY)[-1]["text"] == "You already accepted this swap."
    shown = answer(harness, JAMES, "schedule primary 4").splitlines()[1:]
    assert [line.split(": ", 1)[1] for line in shown] == [
        f"<@{JAMES}>",
        f"<@{JAMES}> (override 2)",
        f"<@{ALICE}>",
        f"<@{VITALY}> (override 1)",
        f"<@{VITALY}>",
    ]


def test_an_escalation_level_pages_whoever_is_on_call_when_it_runs(harness: Harness) -> None:
    at(harness, 2026, 11, 30, 8, 57)
    harness.driver.command(BOB, "/incident", "declare Checkout returns 500 sev1", channel=STATUS)
    incident = harness.sim.messages(STATUS)[-1]
    assert [m["text"] for m in harness.sim.dms(ADMIN) if "You are paged" in m["text"]], "level 1 pages the admin"
    at(harness, 2026, 11, 30, 9, 2)  # level 2 runs after the handoff: Vitaly, not James, is paged
    assert [m for m in harness.sim.dms(JAMES) if "You are paged" in m["text"]] == []
    assert len([m for m in harness.sim.dms(VITALY) if "You are paged" in m["text"]]) == 1
    harness.driver.click(VITALY, "Resolve", channel=STATUS)
    timeline = harness.sim.replies(STATUS, incident["ts"])[-1]["text"]
    assert f"paged: level 2: <@{VITALY}> (on call for primary)" in timeline


@pytest.mark.both_databases
def test_someone_away_during_their_shift_is_warned_a_week_ahead_and_the_first_to_cover_gets_it(
    harness: Harness,
) -> None:
    harness.driver.command(ALICE, "/standup", "away 2026-12-09 2026-12-10", channel=ENGINEERING)
    at(harness, 2026, 11, 30, 8, 0)
    assert dm_texts(harness, ALICE, "away on") == []
    at(harness, 2026, 11, 30, 9, 1)
    warning = (
        f":palm_tree: <@{ALICE}> is on call for *primary* from Mon 7 Dec 20:00 AEDT but away on 2026-12-09,"
        " 2026-12-10. `Find cover` asks the engineering channel for someone to take Wed 9 Dec 00:00 AEDT →"
        " Fri 11 Dec 00:00 AEDT."
    )
    assert dm_texts(harness, ALICE, "away on") == [warning]
    assert len(dm_texts(harness, ADMIN, "away on")) == 1, "the rotation's admins hear of it too"
    harness.advance(timedelta(hours=1))
    harness.restart()
    harness.advance(timedelta(hours=1))
    assert len(dm_texts(harness, ALICE, "away on")) == 1

    harness.driver.click(ADMIN, "Find cover")
    [request] = [m for m in harness.sim.messages(ENGINEERING) if "Cover needed" in m["text"]]
    assert request["text"].startswith(
        f":sos: Cover needed for *primary* on call: <@{ALICE}> is away Tue 8 Dec 14:00 CET"
    )
    harness.driver.click(ALICE, "Find cover")
    assert harness.sim.ephemerals_for(ALICE)[-1]["text"] == "Cover is already asked for in the engineering channel."
    stale = copy.deepcopy(request)
    harness.driver.click(ALICE, "I'll cover", channel=ENGINEERING)
    assert harness.sim.ephemerals_for(ALICE)[-1]["text"] == "That is your own shift: someone else has to cover it."
    harness.driver.click(BOB, "I'll cover", channel=ENGINEERING)
    assert harness.sim.ephemerals_for(BOB)[-1]["text"] == COVER.refusal(), "Bob is not in the rotation"
    harness.driver.click(VITALY, "I'll cover", channel=ENGINEERING)
    harness.driver.click(JAMES, "I'll cover", channel=ENGINEERING, seen=stale)
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"] == f"Already covered by <@{VITALY}>."
    assert dm_texts(harness, ALICE, "covers primary") == [
        f":white_check_mark: <@{VITALY}> covers primary for <@{ALICE}>"
        " from Tue 8 Dec 14:00 CET to Thu 10 Dec 14:00 CET."
    ]
    schedule = answer(harness, ALICE, "schedule primary 2").splitlines()[1:]
    assert [line.split(": ", 1)[1] for line in schedule] == [
        f"<@{VITALY}>",
        f"<@{ALICE}>",
        f"<@{VITALY}> (override 1)",
        f"<@{ALICE}>",
        f"<@{JAMES}>",
    ]


def test_a_shift_nobody_covers_while_its_person_is_away_falls_to_the_next_level(harness: Harness) -> None:
    harness.driver.command(ALICE, "/standup", "away 2026-12-09 2026-12-10", channel=ENGINEERING)
    at(harness, 2026, 12, 9, 2, 0)  # 13:00 on 9 Dec in Sydney: Alice is on call, and away
    harness.driver.command(JAMES, "/incident", "declare Invoices not sent sev1", channel=STATUS)
    incident = harness.sim.messages(STATUS)[-1]
    harness.advance(timedelta(minutes=5))
    assert [m for m in harness.sim.dms(ALICE) if "You are paged" in m["text"]] == []
    assert len([m for m in harness.sim.dms(BOB) if "You are paged" in m["text"]]) == 1, "level 3 at once"
    harness.driver.click(BOB, "Resolve", channel=STATUS)
    timeline = harness.sim.replies(STATUS, incident["ts"])[-1]["text"]
    assert f"passed over: level 2: nobody is on call for primary: <@{ALICE}> is away and nobody covered" in timeline
    assert f"paged: level 3: <@{BOB}>" in timeline


def test_the_app_home_lists_your_next_shifts(harness: Harness) -> None:
    at(harness, 2026, 11, 23, 12, 0)
    harness.driver.open_home(ALICE)
    home = str(harness.sim.home_views[ALICE]["blocks"])
    assert "On call" in home and "primary: Mon 7 Dec 20:00 AEDT → Mon 14 Dec 20:00 AEDT" in home


def group_members(harness: Harness) -> list[str]:
    group = next(g for g in harness.sim.usergroups.values() if g["handle"] == "fulfillment-oncall")
    return list(group["users"])


@pytest.mark.both_databases
def test_the_user_group_follows_whoever_is_on_call_from_start_and_through_overrides(database_url: str) -> None:
    """Installed mid-shift, restarted after a hand edit, an override's start and end: the group holds
    whoever is on call within a tick each time (once it was set only at a handoff)."""
    thursday = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # James's shift since Monday 10:00
    with Harness(database_url, CONFIG, start=thursday, groups={"fulfillment-oncall": [ADMIN]}) as harness:
        harness.tick()
        assert group_members(harness) == [JAMES], "set at once, although the handoff was days ago"
        for group in harness.sim.usergroups.values():
            if group["handle"] == "fulfillment-oncall":
                group["users"] = [BOB]  # edited by hand in Slack
        harness.restart()
        harness.tick()
        assert group_members(harness) == [JAMES], "a restart puts it right"
        answer(harness, JAMES, f"override primary <@{VITALY}> 2026-11-26T14:00 2026-11-26T16:00")
        at(harness, 2026, 11, 26, 13, 0)  # 14:00 in Madrid
        assert group_members(harness) == [VITALY]
        at(harness, 2026, 11, 26, 15, 0)
        assert group_members(harness) == [JAMES], "and back when the override ends"
        updates = len(harness.sim.calls_to("usergroups.users.update"))
        harness.advance(timedelta(minutes=30))
        assert len(harness.sim.calls_to("usergroups.users.update")) == updates, "nothing more while nothing changes"


@pytest.mark.both_databases
def test_nobody_is_put_on_call_who_cannot_be_paged(harness: Harness) -> None:
    """An override once put a user ID that does not exist on call for a year: the next incident
    "paged level 2" and nobody was paged."""
    harness.sim.add_user("U0GONE0001", "gone", deleted=True)
    for named in ("U0NOBODY01", "U0GONE0001", harness.sim.bot_user_id):
        assert answer(harness, ADMIN, f"override primary <@{named}> 2026-11-25 2027-11-25").startswith(
            f"`<@{named}>` is not an active person in this workspace."
        )
        assert answer(harness, JAMES, f"swap primary <@{named}>").startswith(f"<@{named}> is not in the rotation")
    assert answer(harness, VITALY, "overrides") == "No upcoming overrides."
