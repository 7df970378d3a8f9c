"""The complete metadata: every module with models is imported here, for migrations and their test."""

from slackbot import models
from slackbot.db import Base

MODEL_MODULES = [models]
metadata = Base.metadata
