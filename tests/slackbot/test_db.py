from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from slackbot import idempotency
from slackbot.db import Database
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
