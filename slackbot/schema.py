"""The complete metadata, for migrations and their test: the plumbing's tables and those of every
installed capability (importing a capability imports its models)."""

from sqlalchemy import MetaData

from slackbot import models as plumbing_models
from slackbot.capability import installed
from slackbot.db import Base


def metadata() -> MetaData:
    assert plumbing_models
    installed()
    return Base.metadata
