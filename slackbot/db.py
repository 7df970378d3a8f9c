"""Engine, sessions and migrations.

SQLite runs in WAL mode with foreign keys on and takes the write lock at BEGIN, so concurrent
writers queue instead of failing on a lock upgrade; PostgreSQL is used as it is.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, DateTime, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC on every backend and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


def normalise_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **options: Any) -> Engine:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, **{"pool_pre_ping": True, **options})
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across a process crash, one fsync per checkpoint
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            begin_immediate(conn.connection.dbapi_connection)

    return engine


WRITE_WAIT = 30.0  # seconds a writer waits for another process to let go of SQLite's write lock


def begin_immediate(dbapi_connection: Any) -> None:
    """Take SQLite's write lock, polling every fraction of a millisecond while another process holds
    it. SQLite's own busy handler sleeps 1, 2, 5, 10 ... 100 ms between tries, so two processes that
    each hold the lock for a fraction of a millisecond would mostly sleep."""
    deadline = time.monotonic() + WRITE_WAIT
    pause = 0.0001
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=0")
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 1.5, 0.005)
    finally:
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def insert_for(session: Session, model: Any) -> Any:
    """An INSERT of ``model`` in the session's dialect, which has ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (both databases the bot runs on do)."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model)


def upsert(session: Session, model: Any, values: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Insert the row, or update the one with the same ``keys``, in one statement: replicas that write
    the same row at once both succeed (``session.merge`` reads, then inserts, and the second fails)."""
    statement = insert_for(session, model).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in keys}
    session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))


READ_ONLY = "fulfillbot_read_only"

_writing = threading.local()


class RemoteCallInTransaction(RuntimeError):
    """A Slack, GitLab or PagerDuty call was made while this thread holds a write transaction: record
    the effect in the outbox instead, so it is sent after the commit."""


def in_write_transaction() -> bool:
    return getattr(_writing, "depth", 0) > 0


def refuse_in_write_transaction(what: str) -> None:
    """Called by every remote client before it sends: remote calls never run inside a write transaction."""
    if in_write_transaction():
        raise RemoteCallInTransaction(f"{what} called inside a write transaction")


class WriteTurn:
    """SQLite's write lock, taken in turns by the threads of one process, urgent writers first.

    SQLite's busy handler sleeps in growing steps while it waits, which wastes most of the time the
    lock is free when many threads write, so threads queue here instead. The urgent ones (a request
    storing what Slack sent before its 200) go before any unit of work that is waiting, and a long
    unit of work (a batch of inbox items) asks ``urgent_waiting`` to let them in between its items.
    Reentrant, as a unit of work may open another in the same thread."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._holder: int | None = None
        self._depth = 0
        self._urgent = 0
        self.waiting = 0  # threads waiting for their turn

    @contextmanager
    def held(self, urgent: bool = False) -> Iterator[None]:
        me = threading.get_ident()
        with self._changed:
            if self._holder == me:
                self._depth += 1
            else:
                self._urgent += urgent
                self.waiting += 1
                try:
                    self._changed.wait_for(lambda: self._holder is None and (urgent or not self._urgent))
                finally:
                    self._urgent -= urgent
                    self.waiting -= 1
                self._holder, self._depth = me, 1
        try:
            yield
        finally:
            with self._changed:
                self._depth -= 1
                if self._depth == 0:
                    self._holder = None
                    self._changed.notify_all()

    def urgent_waiting(self) -> bool:
        return self._urgent > 0


class Database:
    """One engine and its session factory; every unit of work is one transaction.

    On SQLite, the threads of one process take turns for the write lock (``WriteTurn``).
    PostgreSQL's writers go in parallel."""

    def __init__(self, url: str):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_turn = WriteTurn() if self.url.startswith("sqlite") else None
        # PostgreSQL: connections that commit each statement by itself, for `statement`. No ping on
        # checkout: a statement on a connection the server dropped fails (503: Slack delivers again),
        # and the pool replaces the connection.
        self._autocommit = (
            None if self._write_turn else make_engine(self.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False)
        )

    @contextmanager
    def _writing(self, urgent: bool = False) -> Iterator[None]:
        _writing.depth = getattr(_writing, "depth", 0) + 1
        try:
            if self._write_turn is None:
                yield
            else:
                with self._write_turn.held(urgent):
                    yield
        finally:
            _writing.depth -= 1

    def urgent_writer_waiting(self) -> bool:
        """Whether a hot-path statement waits for the write turn (SQLite): a long unit of work ends early."""
        return self._write_turn is not None and self._write_turn.urgent_waiting()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with self._writing(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def statement(self) -> Iterator[Connection]:
        """A Core connection for one write statement on the hot path, committed with it: on
        PostgreSQL in autocommit (one round trip instead of BEGIN, the statement and COMMIT), on
        SQLite in a write transaction of its own."""
        if self._autocommit is None:
            with self._writing(urgent=True), self.engine.begin() as conn:
                yield conn
            return
        with self._writing(), self._autocommit.connect() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: on SQLite it does not wait for, or take, the write lock."""
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn, Session(conn) as session:
            yield session

    def ping(self) -> bool:
        try:
            with self.reading() as session:
                session.execute(text("SELECT 1"))
            return True
        except Exception:
            log.warning("database ping failed", exc_info=True)
            return False

    def migrate(self) -> None:
        upgrade_to_head(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._autocommit is not None:
            self._autocommit.dispose()


def alembic_config(engine: Engine | None = None) -> AlembicConfig:
    """Alembic is imported when a migration runs, not by every process (a gunicorn worker never
    migrates: about 11 MB it does not hold)."""
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(resources.files("migrations")))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


@functools.cache
def head_revision() -> str | None:
    """The newest migration, read from the scripts once per process."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade_to_head(engine: Engine) -> None:
    """Migrate to the newest revision; a database already there is left alone without alembic
    loading its environment (every start, and every test, begins here)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current is None or current != head_revision():
        command.upgrade(alembic_config(engine), "head")
