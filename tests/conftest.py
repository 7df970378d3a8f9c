"""Database-backed tests run on SQLite; those marked ``both_databases`` (what depends on the
database's behaviour: locking, concurrency, upserts, types, dates) run on PostgreSQL too.

PostgreSQL is taken from FULFILLBOT_TEST_POSTGRES_URL; without it, from 127.0.0.1:5432/test when
that answers. When the variable is set and the server does not answer, the tests fail instead of
quietly running on SQLite alone (CI sets it). A SQLite test gets a copy of a database migrated once
per session; a PostgreSQL test gets its own schema, migrated, and dropped afterwards.

Tiers: ``pytest -m "not slow"`` is the quick tier (pure logic, services, scenarios in one process);
``slow`` marks what starts processes, waits in real time, fuzzes or drives a browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``database_url`` is SQLite, and PostgreSQL too for tests marked ``both_databases``."""
    if "database_url" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_databases") is not None
        metafunc.parametrize("database_url", ["sqlite", "postgresql"] if both else ["sqlite"], indirect=True)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once per session; each test works on a copy of it."""
    installed()
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    database.dispose()  # the last connection's close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """A PostgreSQL schema migrated to head once per session (per test worker); each test empties
    its tables afterwards."""
    if POSTGRES_URL is None:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    installed()
    with scratch_schema(POSTGRES_URL) as url:
        database = Database(url)
        database.migrate()
        database.dispose()
        yield url


def empty_tables(url: str) -> None:
    """Every table of the schema emptied and its IDs restarted, the migrations' record kept (DELETE
    and setval: on tables this small, far quicker than TRUNCATE, which makes new files)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SET lock_timeout = '10s'; SET session_replication_role = replica"))
            tables = conn.scalars(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
            for table in [t for t in tables if t != "alembic_version"]:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))
            for sequence in conn.scalars(
                sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            ).all():
                conn.execute(sa.text("SELECT setval(:sequence, 1, false)"), {"sequence": f'"{sequence}"'})
    finally:
        engine.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path) -> Iterator[str]:
    if request.param == "sqlite":
        shutil.copyfile(migrated_sqlite, tmp_path / "bot.db")
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    url = request.getfixturevalue("migrated_postgres")
    try:
        yield url
    finally:
        empty_tables(url)


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
