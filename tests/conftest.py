"""Every database-backed test runs on SQLite, and on PostgreSQL too when one answers.

PostgreSQL is taken from FULFILLBOT_TEST_POSTGRES_URL; without it, from 127.0.0.1:5432/test when
that answers. When the variable is set and the server does not answer, the tests fail instead of
quietly running on SQLite alone (CI sets it). Each test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from slackbot.config import Config
from slackbot.testing.databases import scratch_schema
from slackbot.testing.harness import Harness, standard_workspace
from slackbot.testing.slack_sim import SlackSimulator

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
