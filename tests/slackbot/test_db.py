import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from slackbot import idempotency
from slackbot.db import Database, WriteTurn
from slackbot.models import ProcessedKey
from slackbot.schema import metadata

pytestmark = pytest.mark.both_databases


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


def test_migrations_produce_the_models_schema(db: Database) -> None:
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata())
    assert differences == []


def test_migrating_twice_is_harmless(db: Database) -> None:
    db.migrate()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()


def test_postgres_urls_use_psycopg() -> None:
    assert Database("postgres://u@h/d").url == "postgresql+psycopg://u@h/d"


def test_datetimes_come_back_aware_utc(db: Database) -> None:
    madrid = timezone(timedelta(hours=1))
    with db.transaction() as session:
        session.add(ProcessedKey(key="k", processed_at=datetime(2026, 11, 23, 10, 0, tzinfo=madrid)))
    with db.transaction() as session:
        stored = session.get(ProcessedKey, "k")
        assert stored is not None
        assert stored.processed_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        assert stored.processed_at.tzinfo == UTC


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive"), db.transaction() as session:
        session.add(ProcessedKey(key="k", processed_at=datetime(2026, 11, 23)))
        session.flush()


def test_a_key_is_claimed_once(db: Database) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    with db.transaction() as session:
        assert idempotency.claim(session, "event:Ev1", now)
        assert not idempotency.claim(session, "event:Ev1", now)
    with db.transaction() as session:
        assert not idempotency.claim(session, "event:Ev1", now)
        assert session.get(ProcessedKey, "event:Ev1") is not None
        assert session.get(ProcessedKey, "event:Ev2") is None


def test_a_claim_rolls_back_with_its_effect(db: Database) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    with pytest.raises(RuntimeError), db.transaction() as session:
        assert idempotency.claim(session, "event:Ev9", now)
        raise RuntimeError("the effect failed")
    with db.transaction() as session:
        assert idempotency.claim(session, "event:Ev9", now)


def test_reads_do_not_wait_for_a_writer_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    database.migrate()
    with database.transaction() as writer:
        writer.add(ProcessedKey(key="held", processed_at=datetime(2026, 11, 23, tzinfo=UTC)))
        writer.flush()
        with database.reading() as reader:
            assert reader.get(ProcessedKey, "held") is None, "reads see committed data only"
        assert database.ping()
    with database.reading() as reader:
        assert reader.get(ProcessedKey, "held") is not None
    database.dispose()


def test_an_urgent_writer_goes_before_a_unit_of_work_that_waited_longer() -> None:
    """SQLite's write turn: a request storing an event is let in before a waiting batch, and the
    holder can see that it waits (to end its batch early)."""
    turn = WriteTurn()
    order: list[str] = []

    def take(name: str, urgent: bool) -> None:
        with turn.held(urgent):
            order.append(name)

    with turn.held():
        batch = threading.Thread(target=take, args=("batch", False))
        batch.start()
        wait_until(lambda: turn.waiting == 1)
        assert not turn.urgent_waiting()
        request = threading.Thread(target=take, args=("request", True))
        request.start()
        wait_until(lambda: turn.waiting == 2)
        assert turn.urgent_waiting()
        with turn.held():  # reentrant for its holder
            assert order == []
    batch.join(5)
    request.join(5)
    assert order == ["request", "batch"]


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "the threads did not get there"
        time.sleep(0.001)
