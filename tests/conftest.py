"""Every database-backed test runs on SQLite, and on PostgreSQL too when one answers.

PostgreSQL is taken from FULFILLBOT_TEST_POSTGRES_URL; without it, from 127.0.0.1:5432/test when
that answers. When the variable is set and the server does not answer, the tests fail instead of
quietly running on SQLite alone (CI sets it). Each test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from slackbot.capability import installed
from slackbot.config import Config
from slackbot.db import Database
from slackbot.models import OutboxItem
from slackbot.outbox import Effects
from slackbot.testing.databases import scratch_schema
from slackbot.testing.harness import Harness, standard_workspace
from slackbot.testing.slack_sim import SlackSimulator
from slackbot.work import Work

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_url() -> str | None:
    explicit = os.environ.get("FULFILLBOT_TEST_POSTGRES_URL")
    url = explicit or DEFAULT_POSTGRES
    engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return url
    except Exception as exc:
        if explicit:
            raise RuntimeError(f"FULFILLBOT_TEST_POSTGRES_URL is set but PostgreSQL did not answer: {exc}") from exc
        return None
    finally:
        engine.dispose()


POSTGRES_URL = _postgres_url()


def pytest_report_header() -> str:
    return f"databases: sqlite{', postgresql (' + POSTGRES_URL + ')' if POSTGRES_URL else ' only (no PostgreSQL)'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    if POSTGRES_URL is None:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    with scratch_schema(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    """A bare simulator with the standard workspace, for tests that start the bot themselves."""
    simulator = SlackSimulator().start()
    standard_workspace(simulator, Config())
    yield simulator
    simulator.stop()


@pytest.fixture
def config() -> Config:
    return Config()


@pytest.fixture
def harness(database_url: str, config: Config) -> Iterator[Harness]:
    with Harness(database_url, config) as running:
        yield running


class Units:
    """Units of work on a migrated database at a time the test sets: services run without a bot."""

    def __init__(self, db: Database, now: datetime):
        self.db = db
        self.now = now

    @contextmanager
    def work(self) -> Iterator[Work]:
        with self.db.transaction() as session:
            yield Work(session, self.now, Effects(session, self.now))

    def outbox(self) -> list[OutboxItem]:
        with self.db.reading() as session:
            return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))

    def said(self) -> list[tuple[str, str]]:
        """(lane, text) of each Slack post and update recorded so far."""
        return [(r.lane, r.args.get("params", {}).get("text", "")) for r in self.outbox() if r.kind == "slack"]


@pytest.fixture
def units(database_url: str) -> Iterator[Units]:
    installed()  # every capability's models are part of the schema
    database = Database(database_url)
    database.migrate()
    yield Units(database, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    database.dispose()
