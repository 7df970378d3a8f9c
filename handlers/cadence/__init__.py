"""Cadence announcements from the config."""

from handlers.cadence import jobs
from handlers.cadence.config import CadenceSection
from slackbot.capability import Capability

CAPABILITY = Capability(name="cadence", register=jobs.register, sections=(CadenceSection,))
