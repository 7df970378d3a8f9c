"""The complete metadata: every module with models is imported here, for migrations and their test."""

from handlers.async_updates import models as async_update_models
from handlers.home import models as home_models
from handlers.incidents import models as incident_models
from handlers.intake import models as intake_models
from handlers.pairing import models as pairing_models
from handlers.questions import models as question_models
from handlers.standups import models as standup_models
from handlers.status import models as status_models
from slackbot import models
from slackbot.db import Base

MODEL_MODULES = [
    models,
    question_models,
    standup_models,
    status_models,
    incident_models,
    intake_models,
    pairing_models,
    async_update_models,
    home_models,
]
metadata = Base.metadata
