from alembic import context
from sqlalchemy import Engine, text

from slackbot.config import Settings
from slackbot.db import make_engine
from slackbot.schema import metadata

config = context.config
MIGRATION_LOCK = 0x66756C66  # "fulf": one advisory lock key for the whole schema


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = make_engine(Settings.from_env().database_url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata(), render_as_batch=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas that start together migrate one at a time; the others then find the head.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            context.run_migrations()


run_migrations_online()
