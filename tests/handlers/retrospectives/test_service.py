"""The retrospective's calendar, its one request per month, and the sections that only the
database shows here (production blockers, standup blockers, deploy trains), on a real database."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from handlers.blockers import retro as blockers_retro
from handlers.blockers.models import Blocker
from handlers.deploys import retro as deploys_retro
from handlers.deploys.config import ChangeLock, DeploysSection
from handlers.deploys.models import Train
from handlers.retrospectives import service
from handlers.standups import retro as standups_retro
from handlers.standups.models import StandupEntry
from slackbot.config import Config
from slackbot.people import Directory
from tests.conftest import Units

NOVEMBER = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("today", "day", "due"),
    [
        (date(2026, 12, 8), 9, None),
        (date(2026, 12, 9), 9, "2026-11"),
        (date(2026, 12, 31), 9, "2026-11"),
        (date(2027, 1, 9), 9, "2026-12"),
        (date(2027, 3, 28), 31, None),
        (date(2027, 2, 28), 31, "2027-01"),  # a shorter month: its last day
    ],
)
def test_which_month_is_due(today: date, day: int, due: str | None) -> None:
    assert service.due_month(today, day) == due


def test_a_month_spans_the_teams_local_month() -> None:
    start, end = service.span("2026-12", ZoneInfo("Europe/Madrid"))
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00")


@pytest.mark.both_databases
def test_a_month_is_requested_once(units: Units) -> None:
    with units.work() as work:
        assert service.request(work, "2026-11", "gl-retrospectives/fulfillment")
    with units.work() as work:
        assert not service.request(work, "2026-11", "gl-retrospectives/fulfillment")
    assert [r.kind for r in units.outbox()] == ["retrospectives.file"]


def test_blockers_standups_and_trains_of_the_month(units: Units) -> None:
    opened = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    with units.work() as work:
        work.session.add_all(
            [
                Blocker(project="app", state="lifted", reason="Zuora <!channel>\n/close", iid=7, title="t",
                        url="https://gitlab.example.com/app/-/issues/7", opened_by="U1", opened_at=opened,
                        lifted_at=opened + timedelta(hours=3)),
                Blocker(project="app", state="open", reason="December", iid=8, title="t", url="", opened_by="U1",
                        opened_at=datetime(2026, 12, 2, tzinfo=UTC)),
                StandupEntry(user_id="U0JAMES01", day=date(2026, 11, 12), answers=["a", "b", "Waiting on @all"],
                             blocked=True),
                StandupEntry(user_id="U0JAMES01", day=date(2026, 11, 13), answers=["a", "b", ""], blocked=False),
                Train(project="app", pipeline_id=1, ref="staging", url="https://gitlab.example.com/p/1", sha="s",
                      title="Fix /close", author="a", status="failed", stages={}, created_at=opened),
                Train(project="app", pipeline_id=2, ref="staging", url="https://gitlab.example.com/p/2", sha="t",
                      title="Fix", author="a", status="success", stages={}, created_at=opened,
                      deployed_at=opened + timedelta(hours=4)),
            ]
        )  # fmt: skip
    lock = ChangeLock("Black Friday", datetime(2026, 11, 27, 0, 0), datetime(2026, 11, 30, 9, 0))
    with units.db.reading() as session:
        blockers = blockers_retro.seen(session, *NOVEMBER)
        directory = Directory(Config(), units.db, WebClient())  # names come from the profiles table: none here
        standups = standups_retro.seen(directory, session, *NOVEMBER)
        trains = deploys_retro.seen(DeploysSection(change_locks=[lock]), ZoneInfo("UTC"), session, *NOVEMBER)
    assert blockers.lines == [
        "- [#7](https://gitlab.example.com/app/-/issues/7) Zuora @\u200bchannel /close (2026-11-10, lifted after 3h)"
    ]
    assert standups.lines == ["- 2026-11-12 U0JAMES01: Waiting on @\u200ball"]
    assert trains.lines == [
        "2 deploy train(s): 1 reached production, 1 failed, 0 expedited.",
        "- Failed: [pipeline #1](https://gitlab.example.com/p/1) Fix /close",
        "- Production change lock Black Friday: 2026-11-27 00:00 to 2026-11-30 09:00",
    ]


@pytest.mark.both_databases
def test_a_month_that_ended_before_the_bot_first_ran_is_not_witnessed(units: Units) -> None:
    with units.db.reading() as session:
        assert service.witnessed(session, "2026-10", ZoneInfo("UTC")) is None
    with units.work() as work:  # 2026-11-23 09:00 UTC
        service.start_watching(work)
    with units.work() as work:
        work.now += timedelta(days=30)
        service.start_watching(work)  # only the first look counts
    with units.db.reading() as session:
        assert service.witnessed(session, "2026-10", ZoneInfo("UTC")) is False
        assert service.witnessed(session, "2026-11", ZoneInfo("UTC")) is True
