from alembic import context
from sqlalchemy import Engine

from slackbot.config import Settings
from slackbot.db import make_engine
from slackbot.schema import metadata

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = make_engine(Settings.from_env().database_url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata(), render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
